/**
 * The supervisor daemon of one project: `node dist/supervisor/main.js PROJECT`, started detached by the CLI.
 * Takes the project lock (one supervisor per project), finishes what a killed predecessor left (journal),
 * adopts running containers, serves the control socket and runs the controller loop until `down`.
 * Writes "ready\n" on fd 3 once it listens, when fd 3 is a pipe from the CLI.
 *
 * `main.js --spare`: started by `up` before the project is loaded, so that Node's start and the module
 * loading overlap the CLI's own work; the project name arrives as one line on stdin (EOF without one:
 * the CLI did not need it, exit). Its log goes to the project's log file from then on.
 */
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { basename, join } from 'node:path';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { isTscError } from '../errors.js';
import { acquireLock, type LockHandle } from '../state/lock.js';
import { defaultPaths, type Paths, projectDir, projectLockFile, projectStateFile, supervisorLogFile, supervisorSocket } from '../state/paths.js';
import { emptyState, loadProjectState, type ProjectState } from '../state/project-state.js';
import { defaultRuntimeBinary, runTool } from '../runtime/runtime-bin.js';
import { closeSpawner, warmSealedShell } from '../runtime/spawner.js';
import { hostCgroupLayout } from '../runtime/cgroup-stats.js';
import { Watchdog } from './watchdog.js';
import { Controller } from './controller.js';
import { createDeps } from './deps.js';
import { handleDown, servicePorts } from './handlers.js';
import { listen } from './server.js';

const RESYNC_MS = 5_000;
const IDLE_EXIT_MS = 10_000;
/** The watchdog (src/supervisor/watchdog.ts) starts this long after the socket listens: off up's path. */
const WATCHDOG_AFTER_MS = 1_000;

let logFd: number | undefined;
/** Lines logged before a spare knows it will serve its project (written then, dropped if it is let go). */
let held: string[] | undefined;

function log(msg: string): void {
  const line = `${new Date().toISOString()} ${msg}\n`;
  if (held) held.push(line);
  else if (logFd === undefined) process.stdout.write(line);
  else writeSync(logFd, line);
}

/** From now on, log to the project's file (a spare), with what was held meanwhile. */
function logTo(paths: Paths, name: string): void {
  mkdirSync(projectDir(paths, name), { recursive: true, mode: 0o700 });
  logFd = openSync(supervisorLogFile(paths, name), 'a', 0o600);
  const lines = held ?? [];
  held = undefined;
  for (const l of lines) writeSync(logFd, l);
}

/**
 * The project name the CLI hands a spare supervisor (one line on stdin; EOF first: not needed). Read
 * through a socket on fd 0 (the CLI's pipe is a socket pair): the line is seen when it arrives, not at
 * the next tick of a poll.
 */
function readName(): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    let sock: Socket;
    try {
      sock = new Socket({ fd: 0, readable: true, writable: false });
    } catch {
      resolve(undefined); // no usable stdin: nobody can send a name
      return;
    }
    const done = (name: string | undefined): void => {
      // fd 0 stays open (as it was): only this socket's reading stops
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.pause();
      sock.unref();
      resolve(name !== undefined && PROJECT_NAME.test(name) ? name : undefined);
    };
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      text += d;
      const i = text.indexOf('\n');
      if (i >= 0) done(text.slice(0, i).trim());
    });
    sock.on('end', () => done(undefined));
    sock.on('error', () => done(undefined));
  });
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

function signalReady(): void {
  try {
    writeSync(3, 'ready\n');
    closeSync(3);
  } catch {
    // not started by a CLI waiting on fd 3
  }
}

/** A project's lock and state, taken by a spare before the CLI confirmed the project (see `prepare`). */
interface Prepared {
  name: string;
  lock?: LockHandle;
  st?: ProjectState;
  /** The project's directory did not exist: it goes again if the spare is let go. */
  madeDir: boolean;
}

/**
 * A spare told its project at exec (-p, COMPOSE_PROJECT_NAME) takes the lock and loads the state while
 * the CLI is still loading the compose file. Nothing that changes the project happens before the CLI
 * confirms the name (journal, networks, the socket): a spare that is let go only gives the lock back.
 * Another supervisor holding the lock: nothing prepared (the claim tries again, then defers to it).
 * Also how a supervisor without a hint takes its project once it knows the name.
 */
async function prepare(paths: Paths, name: string): Promise<Prepared> {
  const madeDir = !existsSync(projectDir(paths, name));
  try {
    const lock = await acquireLock(projectLockFile(paths, name), `project ${name}`);
    try {
      // a new project (the common `up`) has no state file: no read that fails with ENOENT on the way
      const file = projectStateFile(paths, name);
      const st = (existsSync(file) ? await loadProjectState(file, name) : undefined) ?? emptyState(name);
      return { name, lock, st, madeDir };
    } catch (e) {
      await lock.release();
      throw e;
    }
  } catch (e) {
    if (isTscError(e) && e.code === 'CONFLICT') return { name, madeDir: false };
    throw e;
  }
}

/** Undo `prepare`: the lock file goes, and the project directory when the spare made it (and it is empty). */
async function unprepare(paths: Paths, p: Prepared): Promise<void> {
  await p.lock?.release();
  if (p.lock && p.madeDir) await rmdir(projectDir(paths, p.name)).catch(() => undefined);
}

async function main(args: readonly string[]): Promise<void> {
  const started = sinceStart();
  const cpuAtStart = process.cpuUsage();
  const paths = defaultPaths();
  const spare = args[0] === '--spare';
  const hint = spare && args[1] !== undefined && PROJECT_NAME.test(args[1]) ? args[1] : undefined;
  if (spare) held = [];
  // the collaborators' modules load (and their helpers start) while a spare waits for its project
  let depsAt = 0;
  const depsReady = createDeps(paths, log).then((d) => ((depsAt = sinceStart()), d));
  depsReady.catch(() => undefined); // awaited below; a dismissed spare exits first
  // koffi (the exit watch's pidfd, src/sys/pidfd.ts) takes 15-35 ms of blocking main-thread work to load:
  // done once the collaborators are loaded, while a spare waits for its name and the CLI loads the project,
  // not in the first pass (up's warmExitWatch then finds it loaded), where it held up the networks' setup
  void depsReady.then(() => setImmediate(() => void import('../sys/pidfd.js').then((sys) => sys.warmPidfd(), () => undefined)), () => undefined);
  const early = hint === undefined ? undefined : prepare(paths, hint);
  early?.catch(() => undefined); // awaited below
  // server.listen() loads node:cluster (Node's net does, for its cluster mode; 2-10 ms here): a spare
  // loads it while it waits for its name, not between the name and the socket `up` waits for
  if (spare) setImmediate(() => process.getBuiltinModule('node:cluster'));
  const name = spare ? await readName() : args[0]!;
  const named = sinceStart();
  // dismissed (the project's supervisor runs, or the CLI failed): go at once, not after the collaborators
  // started their helpers; those read EOF from us and exit too
  if (name === undefined) {
    const p = await early?.catch(() => undefined);
    if (p) await unprepare(paths, p).catch(() => undefined);
    process.exit(0);
  }
  let prepared = await early?.catch(() => undefined);
  if (prepared && (prepared.name !== name || !prepared.lock)) {
    // told another project than the hint (or its lock was taken): as a spare without a hint
    await unprepare(paths, prepared);
    prepared = undefined;
  }
  const deps = await depsReady;
  if (spare) logTo(paths, name);
  const stateFile = projectStateFile(paths, name);
  const taken = prepared ?? (await prepare(paths, name));
  if (!taken.lock || !taken.st) {
    log(`another supervisor runs project ${name}; exiting`);
    signalReady();
    return;
  }
  const { lock, st } = taken;
  process.on('uncaughtException', (e) => log(`uncaught: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => log(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  const c = new Controller(st, deps, stateFile);
  const codeCache = (globalThis as Record<symbol, unknown>)[Symbol.for('tscompose.supervisor-code-cache')] ?? 'none (ESM)';
  log(`supervisor ${process.pid} for project ${name} (phase ${st.phase}; ms after start: code ${ms(started)} (CPU ${ms(cpuMs(cpuAtStart))}), helpers ${ms(depsAt)}, name ${ms(named)}${prepared ? ', lock and state taken before' : ''}; code cache ${String(codeCache)})`);

  // Containers a killed predecessor had begun to retire (src/supervisor/retiring.ts): their removal is
  // finished, stopping them first with their grace period.
  const retiring = c.retiring.list();
  await Promise.all(retiring.map(async (id) => {
    const known = await deps.runtime.inspect(id).catch(() => undefined);
    if (known) {
      log(`finishing the removal of ${known.name} (${id})`);
      await deps.runtime.stop(id).catch((e) => log(`stop ${id}: ${String(e)}`));
      await deps.runtime.remove(id, { force: true }).catch((e) => log(`remove ${id}: ${String(e)}`));
    }
    await deps.network?.detach(id).catch((e) => log(`detach ${id}: ${String(e)}`));
  }));
  if (retiring.length) c.retiring.clear();
  // Journal: ids a killed predecessor was creating or removing. What the runtime does not list as a
  // container (never made, or half removed) is finished off: runtime leftovers and network namespace.
  if (st.pending?.length) {
    const runtimeRoot = join(paths.runDir, 'runtime');
    await Promise.all(st.pending.map(async (id) => {
      const known = await deps.runtime.inspect(id).catch(() => undefined);
      const half = known !== undefined && (await halfCreated(runtimeRoot, id));
      if (known && !half) return;
      // a create cut short: tsc-runtime's own cleanup of a state dir it never finished, then ours
      if (half) await runTool(defaultRuntimeBinary(), ['--root', runtimeRoot, 'delete', '--force', id]).catch(() => undefined);
      await deps.runtime.remove(id, { force: true }).catch(() => undefined);
      await deps.network?.detach(id).catch((e) => log(`detach ${id}: ${String(e)}`));
    }));
    st.pending = [];
    await c.save();
  }

  let exiting = false;
  const sockPath = supervisorSocket(paths, name);
  // all the exit does but exiting, once: a `down` has it done before its answer (the CLI waits for the exit)
  let released: Promise<void> | undefined;
  const release = (removed: boolean): Promise<void> => (released ??= (async () => {
    clearInterval(resync);
    server.close();
    const watchdogGone = watchdog.stop(); // an exit on purpose: nothing to restart
    await c.close();
    await Promise.all([deps.network?.close().catch(() => undefined), rm(sockPath, { force: true }), watchdogGone, closeSpawner()]);
    // the project's files go before its lock, the directory after: a supervisor that takes the lock the
    // moment it is free (a new `up`) never has its lock file or its new files removed by this one
    const dir = projectDir(paths, name);
    const lockName = basename(projectLockFile(paths, name));
    if (removed) await Promise.all((await readdir(dir).catch(() => [] as string[])).filter((f) => f !== lockName).map((f) => rm(join(dir, f), { recursive: true, force: true })));
    await lock.release();
    if (removed) await rmdir(dir).catch(() => undefined);
    // a first run's code cache, not at exit: the CLI of a `down` returns once this process is gone (boot.ts)
    ((globalThis as Record<symbol, unknown>)[Symbol.for('tscompose.supervisor-code-cache-save')] as (() => void) | undefined)?.();
  })());
  const shutdown = async (removed: boolean): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await release(removed);
    log('supervisor exiting');
    process.exit(0);
  };
  let lastRequest = Date.now();
  const watchdog = new Watchdog({
    pidFile: join(projectDir(paths, name), 'watchdog.pid'),
    logFile: supervisorLogFile(paths, name),
    stateFile,
    argv: [process.execPath, ...process.execArgv, process.argv[1]!, name],
    log,
  });
  const server = await listen(sockPath, c, {
    stateFile,
    onDown: () => void shutdown(true),
    beforeDownAnswer: () => release(true),
    onRequest: () => (lastRequest = Date.now()),
    onDownBegin: () => void watchdog.stop(),
    onDownFailed: () => watchdog.startLater(0),
  });
  // the CLI waits for this: the first timer of the process costs a few ms, and the rest below runs before
  // any request is read anyway (same tick)
  signalReady();
  // resync timer; a supervisor that never got a project (e.g. started by `stop` on an unknown project) leaves
  const resync = setInterval(() => {
    if (!c.st.project && Date.now() - lastRequest > IDLE_EXIT_MS) void shutdown(true);
    else c.kick();
  }, RESYNC_MS);
  process.on('SIGTERM', () => void shutdown(false));
  process.on('SIGINT', () => void shutdown(false));
  log(`listening ${ms(sinceStart())} ms after start (CPU ${ms(cpuMs(process.cpuUsage()))} ms)`);
  watchdog.startLater(WATCHDOG_AFTER_MS);
  // the sealed runtime shell starts while the CLI sends its request (a fork that would delay `ready` if
  // made before it), not at the first create, where its start was on the path of every `up`
  warmSealedShell(defaultRuntimeBinary());
  // the host's cgroup mounts (one read of mountinfo, kept): first needed by a stop, where it cost a `down` ~3 ms
  void hostCgroupLayout();

  if (st.phase === 'down') {
    // A `down` was interrupted: finish it as it was asked (-v, --remove-orphans: a plain one keeps running
    // orphans), then serve the CLI that started us (its request may be an
    // `up`); with no project the idle rule below ends this supervisor.
    log('finishing an interrupted down');
    await handleDown(c, undefined, { volumes: st.removeVolumes ?? false, removeOrphans: st.removeOrphans ?? false }, () => undefined, stateFile, true);
    return;
  }
  if (st.project && deps.network) {
    await deps.network.ensureNetworks(st.project, { servicePorts: servicePorts(st.project) }).catch((e) => log(`networks: ${String(e)}`));
  }
  c.kick();
}

/** Milliseconds since this process started (not `performance`: that global loads perf_hooks, ~8 modules). */
const sinceStart = (): number => process.uptime() * 1000;
const ms = (t: number): string => t.toFixed(0);
/** CPU milliseconds (user + system) this process used. */
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

/**
 * A container a killed predecessor was creating whose runtime state dir has no state.json: tsc-runtime
 * writes that file last, so the create never finished. The tool may still be running (its shell outlives
 * the supervisor), so it gets ~3 s to finish first. Listed as "created", such a container could never
 * be started: it must be removed and made again.
 */
async function halfCreated(runtimeRoot: string, id: string): Promise<boolean> {
  const dir = join(runtimeRoot, id);
  for (let i = 0; i < 60; i++) {
    if (!existsSync(dir) || existsSync(join(dir, 'state.json'))) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const args = process.argv.slice(2);
if (!args[0]) {
  process.stderr.write('usage: supervisor PROJECT | supervisor --spare [PROJECT-HINT]\n');
  process.exit(2);
}
main(args).catch((e: unknown) => {
  log(`supervisor failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
