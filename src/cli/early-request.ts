/**
 * Two requests go to the project's supervisor as soon as Node runs, before commander, the verb's bundle
 * and the compose files load (~25 ms of a command on these hosts), so that the supervisor works while the
 * CLI loads; the verb then claims the connection (src/engine/index.ts) and uses the answer as its own.
 *
 * - A plain `down` carries the command line's working directory, global options and environment instead
 *   of a project: the supervisor keeps what the load of its project read (src/spec/inputs.ts) and starts
 *   the down only if loading the files now would read exactly that, so the project is the one it has
 *   (src/supervisor/server.ts). Otherwise it declines, and the verb loads the files and asks again as
 *   usual. Sent only for what can be read for certain without commander: `down` with -v/--volumes,
 *   --remove-orphans and -t/--timeout SECONDS (an integer).
 * - `ps` asks for the containers (it changes nothing); the verb uses the answer if the project it then
 *   computes is the one asked.
 *
 * Run through bin/tscompose, a `down` has gone before Node started (native/launch/tsc-launch.c --early,
 * the same request ~50 ms sooner); this module then only takes its connection over.
 *
 * The project's name comes from -p, COMPOSE_PROJECT_NAME or the directory rule (src/cli/project-hint.ts):
 * a wrong name reaches another project's supervisor, whose inputs then do not match (down), or whose
 * answer the verb does not use (ps). Only node: built-ins here, loaded on use.
 */
import type { Socket } from 'node:net';
import { defaultPaths, supervisorSocket, type Paths } from '../state/paths.js';
import { fsHintHost, projectHint } from './project-hint.js';
import { verbIndex } from './verb-of.js';

const KEY = Symbol.for('tscompose.early-request');

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

export interface SentRequest {
  verb: 'down' | 'ps';
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

/** The request to send early for this command line, if any (see above). */
function earlyRequest(args: readonly string[], env: NodeJS.ProcessEnv): { verb: 'down' | 'ps'; method: string; params: Record<string, unknown> } | undefined {
  const at = verbIndex(args);
  if (at < 0) return undefined;
  const globals = args.slice(0, at);
  if (globals.some((a) => a === '-h' || a === '--help' || a === '--')) return undefined;
  const words = args.slice(at + 1);
  if (args[at] === 'down' && !env.TSCOMPOSE_NO_EARLY_DOWN) {
    const options = earlyDownOptions(words);
    if (!options) return undefined;
    return { verb: 'down', method: 'downEarly', params: { early: { cwd: process.cwd(), args: globals, env: { ...env } }, options } };
  }
  // the rows with the one-off containers: the verb leaves out what it does not list
  if (args[at] === 'ps' && !words.some((w) => w === '-h' || w === '--help')) return { verb: 'ps', method: 'ps', params: { oneOffs: true } };
  return undefined;
}

/**
 * The request bin/ sent before Node started (native/launch/tsc-launch.c --early): its connection is fd N of
 * TSCOMPOSE_EARLY_REQUEST="N VERB PROJECT" ("none": it found no supervisor). The variable goes from the
 * environment at once (no child inherits it, and the environment compared is the user's). True when bin/
 * took care of it (sent, or found there is nobody to ask).
 */
function launcherRequest(env: NodeJS.ProcessEnv): boolean {
  const v = env.TSCOMPOSE_EARLY_REQUEST;
  delete env.TSCOMPOSE_EARLY_REQUEST;
  if (v === 'none') return true;
  const m = v === undefined ? null : /^(\d+) (down) ([a-z0-9][a-z0-9_-]*)$/.exec(v);
  if (!m) return false;
  try {
    const { Socket } = process.getBuiltinModule('node:net') as typeof import('node:net');
    const sock = new Socket({ fd: Number(m[1]), readable: true, writable: true });
    sock.unref(); // never what keeps this process alive (see sendEarlyRequest)
    const sent: SentRequest = { verb: m[2] as SentRequest['verb'], sock, project: m[3]!, paths: defaultPaths(env), failed: false, written: Promise.resolve() };
    sock.on('error', () => {
      sent.failed = true;
    });
    (globalThis as Record<symbol, unknown>)[KEY] = sent;
    return true;
  } catch {
    return false;
  }
}

/** Sends the early request when the command line has one (see above); nothing otherwise. */
export function sendEarlyRequest(args: readonly string[], env: NodeJS.ProcessEnv): void {
  if (launcherRequest(env)) return;
  const req = earlyRequest(args, env);
  if (!req) return;
  const project = projectHint(args, env, fsHintHost);
  if (project === undefined) return;
  const paths = defaultPaths(env);
  const { connect } = process.getBuiltinModule('node:net') as typeof import('node:net');
  const sock = connect(supervisorSocket(paths, project));
  // the write goes out in a 'connect' listener net adds here, before the one below
  sock.write(`${JSON.stringify({ id: 1, method: req.method, params: req.params })}\n`);
  let settle: () => void = () => undefined;
  const sent: SentRequest = { verb: req.verb, sock, project, paths, failed: false, written: new Promise<void>((r) => (settle = r)) };
  sock.once('connect', () => {
    settle();
    // from now on never what keeps this process alive: a verb that fails before it claims the answer
    // must still exit (adopting it refs it again: src/supervisor/client.ts)
    sock.unref();
  });
  sock.on('error', () => {
    sent.failed = true;
    settle();
  });
  (globalThis as Record<symbol, unknown>)[KEY] = sent;
}

/** The early request's write, when one was sent (see SentRequest.written). */
export function earlyRequestWritten(): Promise<void> | undefined {
  return ((globalThis as Record<symbol, unknown>)[KEY] as SentRequest | undefined)?.written;
}

/**
 * The early request this process sent for `verb` on these state directories (and, when given, this
 * project), if any; taken once. One that does not fit is closed.
 */
export function takeEarlyRequest(verb: SentRequest['verb'], paths: Paths, project?: string): SentRequest | undefined {
  const g = globalThis as Record<symbol, unknown>;
  const sent = g[KEY] as SentRequest | undefined;
  delete g[KEY];
  if (!sent) return undefined;
  if (sent.verb === verb && sent.paths.root === paths.root && sent.paths.runDir === paths.runDir && (project === undefined || project === sent.project)) return sent;
  sent.sock.destroy();
  return undefined;
}
