/**
 * A plain `down` is sent to the project's supervisor as soon as Node runs, before commander, the verb's
 * bundle and the compose files load (~25 ms of a ~170 ms `down` on these hosts). It carries the command
 * line's working directory, global options and environment instead of a project: the supervisor keeps
 * what the load of its project read (src/spec/inputs.ts) and starts the down only if loading the files now
 * would read exactly that, so the project is the one it has (src/supervisor/server.ts). Otherwise it
 * declines, and the verb loads the files and asks again as usual. The verb claims the connection
 * (src/engine/index.ts claimEarlyDown) and shows the progress as it would have.
 *
 * Sent only for what this module can read for certain without commander: `down` with -v/--volumes,
 * --remove-orphans and -t/--timeout SECONDS (an integer), the project's name known from -p,
 * COMPOSE_PROJECT_NAME or the directory rule (src/cli/project-hint.ts; a wrong name reaches another
 * project's supervisor, whose inputs then do not match). Only node: built-ins here, loaded on use.
 */
import type { Socket } from 'node:net';
import { defaultPaths, supervisorSocket, type Paths } from '../state/paths.js';
import { fsHintHost, projectHint } from './project-hint.js';
import { verbIndex } from './verb-of.js';

const KEY = Symbol.for('tscompose.early-down');

/** The down options an early request carries, as the verb computes them from the same words. */
export interface EarlyDownOptions {
  volumes: boolean;
  removeOrphans: boolean;
  timeoutMs?: number;
}

/** The verb's own words read as `down` reads them; undefined when one is not certain here. */
export function earlyDownOptions(words: readonly string[]): EarlyDownOptions | undefined {
  const out: EarlyDownOptions = { volumes: false, removeOrphans: false };
  const seconds = (v: string | undefined): boolean => {
    if (v === undefined || !/^\d{1,6}$/.test(v)) return false;
    out.timeoutMs = Number(v) * 1000;
    return true;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-v' || w === '--volumes') out.volumes = true;
    else if (w === '--remove-orphans') out.removeOrphans = true;
    else if (w === '-t' || w === '--timeout') {
      if (!seconds(words[++i])) return undefined;
    } else if (w.startsWith('--timeout=')) {
      if (!seconds(w.slice('--timeout='.length))) return undefined;
    } else return undefined;
  }
  return out;
}

export interface SentDown {
  sock: Socket;
  project: string;
  paths: Paths;
  failed: boolean;
  /**
   * Settles once the request is with the kernel (or the connection failed). The connection completes on
   * the event loop's next turn, and the write waits for it: bin/ lets that turn come before it loads the
   * verb's bundle, which would hold the loop ~20 ms (src/cli/boot.ts).
   */
  written: Promise<void>;
}

/** Sends the early `down` when the command line is one (see above); nothing otherwise. */
export function sendEarlyDown(args: readonly string[], env: NodeJS.ProcessEnv): void {
  const at = verbIndex(args);
  if (at < 0 || args[at] !== 'down' || env.TSCOMPOSE_NO_EARLY_DOWN) return;
  const globals = args.slice(0, at);
  if (globals.some((a) => a === '-h' || a === '--help' || a === '--')) return;
  const options = earlyDownOptions(args.slice(at + 1));
  if (!options) return;
  const project = projectHint(args, env, fsHintHost);
  if (project === undefined) return;
  const paths = defaultPaths(env);
  const { connect } = process.getBuiltinModule('node:net') as typeof import('node:net');
  const sock = connect(supervisorSocket(paths, project));
  const early = { cwd: process.cwd(), args: globals, env: { ...env } };
  // the write goes out in a 'connect' listener net adds here, before the one below
  sock.write(`${JSON.stringify({ id: 1, method: 'down', params: { early, options } })}\n`);
  let settle: () => void = () => undefined;
  const sent: SentDown = { sock, project, paths, failed: false, written: new Promise<void>((r) => (settle = r)) };
  sock.once('connect', () => settle());
  sock.on('error', () => {
    sent.failed = true;
    settle();
  });
  (globalThis as Record<symbol, unknown>)[KEY] = sent;
}

/** The early `down`'s write, when one was sent (see SentDown.written). */
export function earlyDownWritten(): Promise<void> | undefined {
  return ((globalThis as Record<symbol, unknown>)[KEY] as SentDown | undefined)?.written;
}

/** The early `down` this process sent for these state directories, if any; taken once. */
export function takeEarlyDown(paths: Paths): SentDown | undefined {
  const g = globalThis as Record<symbol, unknown>;
  const sent = g[KEY] as SentDown | undefined;
  delete g[KEY];
  if (!sent) return undefined;
  if (sent.paths.root === paths.root && sent.paths.runDir === paths.runDir) return sent;
  sent.sock.destroy();
  return undefined;
}
