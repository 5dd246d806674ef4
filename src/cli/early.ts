/**
 * The first thing bin/tscompose.js runs, before commander and the CLI bundle load: for `up`, start the
 * project's supervisor as a "spare" at once, so that its Node start and module loading overlap the CLI's
 * own start and project load (the CLI was ~250 ms into its start before it got to spawn it). The child is
 * left on globalThis for the CLI's engine to claim (src/supervisor/client.ts); a CLI that exits without
 * claiming it closes the spare's stdin, and the spare exits. Only node: built-ins here, loaded on use.
 * `--version` is answered here too, and a plain `down` or a `ps` is sent to the supervisor (src/cli/early-request.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultPaths, type Paths } from '../state/paths.js';
import { fsHintHost, projectHint } from './project-hint.js';
import { sendEarlyRequest } from './early-request.js';
import { asksVersionOnly, verbOf } from './verb-of.js';

/**
 * Node/V8 flags of every supervisor (the spare and one started for a named project): none. Any V8 flag on
 * the command line changes V8's flag hash, and Node's embedded code cache of its own built-in modules is
 * then refused: every built-in the supervisor loads (net, child_process, crypto, dgram, ...) is compiled
 * from source, ~20 ms more per start (hyperfine, `node --max-semi-space-size=2` loading them: 110 vs 90 ms).
 * The 2 MiB semi-spaces these flags used to set saved 2 MiB of RSS with 100 containers (62.0 vs 64.0 MiB,
 * target 80); without them `up -d` of the 3-service stack took 30-45 ms less (interleaved A/B, n=15, each
 * side with its own code cache).
 */
export const SUPERVISOR_NODE_FLAGS: readonly string[] = [];

const KEY = Symbol.for('tscompose.early-spare');
interface Early { child: ChildProcess; paths: Paths }
type Unrefable = { ref?(): void; unref?(): void };

/**
 * The environment a supervisor starts with. NODE_EXTRA_CA_CERTS makes Node read and parse that bundle at
 * every start, before any of our code runs (~40 ms wall, ~60 ms CPU for the 220 KB system bundle on these
 * hosts: half of `node -e 0`); the supervisor needs extra CAs only for a registry pull over https. So the
 * path moves to TSCOMPOSE_EXTRA_CA_CERTS, and src/image/registry.ts adds that file to the roots of its
 * https agent when it first makes one: the same certificates trusted, read only when a pull needs them.
 */
export function supervisorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const extra = env.NODE_EXTRA_CA_CERTS;
  if (extra === undefined) return env;
  const out = { ...env };
  delete out.NODE_EXTRA_CA_CERTS;
  if (extra !== '' && out.TSCOMPOSE_EXTRA_CA_CERTS === undefined) out.TSCOMPOSE_EXTRA_CA_CERTS = extra;
  return out;
}

/**
 * The supervisor's entry: dist/supervisor/main.cjs, which runs its CommonJS bundle through a V8 code cache
 * (src/supervisor/boot.ts); main.js (ESM) when only tsc built dist/.
 */
export function supervisorMain(): string {
  const { existsSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  const cjs = fileURLToPath(new URL('../supervisor/main.cjs', import.meta.url));
  return existsSync(cjs) ? cjs : fileURLToPath(new URL('../supervisor/main.js', import.meta.url));
}

/**
 * A spare supervisor: learns its project on stdin; never keeps this process alive. `hint`: the project
 * name when bin/ can know it (src/cli/project-hint.ts): the spare takes that project's lock and loads
 * its state while the CLI loads the compose file; the name the CLI then sends is what it serves.
 */
export function spawnSpare(env: NodeJS.ProcessEnv, hint?: string): ChildProcess {
  const { spawn } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
  const args = [...SUPERVISOR_NODE_FLAGS, supervisorMain(), '--spare', ...(hint === undefined ? [] : [hint])];
  const child = spawn(process.execPath, args, { detached: true, cwd: '/', stdio: ['pipe', 'ignore', 'ignore', 'pipe'], env: supervisorEnv(env) });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  child.unref();
  (child.stdin as Unrefable | null)?.unref?.();
  (child.stdio[3] as Unrefable | null)?.unref?.();
  return child;
}

/** Whether this command line starts a supervisor: `up`, not its --help. */
export function wantsEarlySpare(args: readonly string[]): boolean {
  if (verbOf(args) !== 'up') return false;
  const end = args.indexOf('--');
  return !(end < 0 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help' || a === '-v' || a === '--version');
}

/**
 * What bin/ runs before the CLI loads. Returns true when the command line is answered already:
 * `--version` (after global options only) needs neither commander nor the verbs.
 */
export function runEarly(args: readonly string[] = process.argv.slice(2)): boolean {
  if (asksVersionOnly(args)) {
    const { readFileSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`tscompose version v${pkg.version}\n`);
    return true;
  }
  const launched = launcherSpare(process.env);
  sendEarlyRequest(args, process.env);
  if (wantsEarlySpare(args)) {
    const early: Early = { child: launched ?? spawnSpare(process.env, projectHint(args, process.env, fsHintHost)), paths: defaultPaths() };
    (globalThis as Record<symbol, unknown>)[KEY] = early;
  } else if (launched) {
    letGo(launched);
  }
  return false;
}

/**
 * The spare bin/tscompose started before Node ran (see that file and native/launch/tsc-launch.c): the
 * ends of its two pipes, inherited as fds, made into what SpareSupervisor uses of a ChildProcess (stdin,
 * stdio[3], pid, ref/unref). Its exit is not seen here: a spare that fails closes its end of the ready pipe, which the claim reads as
 * EOF and then finds or starts a supervisor as it does after any spare. The variable goes from the
 * environment at once (no child of the CLI inherits it); undefined when there is none or it is unusable.
 */
function launcherSpare(env: NodeJS.ProcessEnv): ChildProcess | undefined {
  const v = env.TSCOMPOSE_EARLY_SPARE;
  delete env.TSCOMPOSE_EARLY_SPARE;
  const m = v === undefined ? null : /^(\d+) (\d+) (\d+)$/.exec(v);
  if (!m) return undefined;
  try {
    const { Socket } = process.getBuiltinModule('node:net') as typeof import('node:net');
    const { EventEmitter } = process.getBuiltinModule('node:events') as typeof import('node:events');
    const stdin = new Socket({ fd: Number(m[1]), readable: false, writable: true });
    const ready = new Socket({ fd: Number(m[2]), readable: true, writable: false });
    stdin.on('error', () => undefined);
    ready.on('error', () => undefined);
    stdin.unref();
    ready.unref();
    const child = Object.assign(new EventEmitter(), { pid: Number(m[3]), stdin, stdio: [stdin, null, null, ready], ref() {}, unref() {} });
    return child as unknown as ChildProcess;
  } catch {
    return undefined;
  }
}

/** Close our ends: the spare reads EOF and exits. */
function letGo(child: ChildProcess): void {
  child.stdin?.destroy();
  (child.stdio[3] as { destroy?(): void } | null)?.destroy?.();
}

/**
 * The spare bin/ started, if it serves these state directories (else it is let go: it reads EOF and exits).
 * Taken once.
 */
export function takeEarlySpare(paths: Paths): ChildProcess | undefined {
  const g = globalThis as Record<symbol, unknown>;
  const early = g[KEY] as Early | undefined;
  delete g[KEY];
  if (!early) return undefined;
  if (early.paths.root === paths.root && early.paths.runDir === paths.runDir) return early.child;
  letGo(early.child);
  return undefined;
}
