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
import { closeSync, mkdirSync, openSync, read, writeSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { isTscError } from '../errors.js';
import { acquireLock } from '../state/lock.js';
import { defaultPaths, projectDir, projectLockFile, projectStateFile, supervisorLogFile, supervisorSocket } from '../state/paths.js';
import { emptyState, loadProjectState } from '../state/project-state.js';
import { Controller } from './controller.js';
import { createDeps } from './deps.js';
import { handleDown, servicePorts } from './handlers.js';
import { listen } from './server.js';

const RESYNC_MS = 5_000;
const IDLE_EXIT_MS = 10_000;

let logFd: number | undefined;

function log(msg: string): void {
  const line = `${new Date().toISOString()} ${msg}\n`;
  if (logFd === undefined) process.stdout.write(line);
  else writeSync(logFd, line);
}

/**
 * The project name the CLI hands a spare supervisor (one line on stdin; EOF first: not needed). Read with
 * plain fs reads: process.stdin would set up a stream over the pipe just for this one line.
 */
async function readName(): Promise<string | undefined> {
  const buf = Buffer.alloc(256);
  let text = '';
  for (;;) {
    const n = await new Promise<number | 'again'>((res) => read(0, buf, 0, buf.length, null, (err, got) => res(err?.code === 'EAGAIN' ? 'again' : err ? 0 : got)));
    if (n === 'again') {
      await new Promise((r) => setTimeout(r, 5)); // a non-blocking pipe: no line yet
      continue;
    }
    if (n === 0) return undefined;
    text += buf.toString('utf8', 0, n);
    const i = text.indexOf('\n');
    if (i < 0) continue;
    const name = text.slice(0, i).trim();
    return /^[a-z0-9][a-z0-9_-]*$/.test(name) ? name : undefined;
  }
}

function signalReady(): void {
  try {
    writeSync(3, 'ready\n');
    closeSync(3);
  } catch {
    // not started by a CLI waiting on fd 3
  }
}

async function main(arg: string): Promise<void> {
  const paths = defaultPaths();
  const spare = arg === '--spare';
  // the collaborators' modules load while a spare waits for its project
  const depsReady = createDeps(paths, log);
  depsReady.catch(() => undefined); // awaited below; a dismissed spare exits first
  const name = spare ? await readName() : arg;
  // dismissed (the project's supervisor runs, or the CLI failed): go at once, not after the collaborators
  // started their helpers; those read EOF from us and exit too
  if (name === undefined) process.exit(0);
  const deps = await depsReady;
  if (spare) {
    mkdirSync(projectDir(paths, name), { recursive: true, mode: 0o700 });
    logFd = openSync(supervisorLogFile(paths, name), 'a', 0o600);
  }
  const stateFile = projectStateFile(paths, name);
  let lock;
  try {
    lock = await acquireLock(projectLockFile(paths, name), `project ${name}`);
  } catch (e) {
    if (isTscError(e) && e.code === 'CONFLICT') {
      log(`another supervisor runs project ${name}; exiting`);
      signalReady();
      return;
    }
    throw e;
  }
  process.on('uncaughtException', (e) => log(`uncaught: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => log(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  const st = (await loadProjectState(stateFile, name)) ?? emptyState(name);
  const c = new Controller(st, deps, stateFile);
  log(`supervisor ${process.pid} for project ${name} (phase ${st.phase})`);

  // Journal: ids a killed predecessor was creating or removing. What the runtime does not list as a
  // container (never made, or half removed) is finished off: runtime leftovers and network namespace.
  if (st.pending?.length) {
    for (const id of st.pending) {
      const known = await deps.runtime.inspect(id).catch(() => undefined);
      if (known) continue;
      await deps.runtime.remove(id, { force: true }).catch(() => undefined);
      await deps.network?.detach(id).catch((e) => log(`detach ${id}: ${String(e)}`));
    }
    st.pending = [];
    await c.save();
  }

  let exiting = false;
  const sockPath = supervisorSocket(paths, name);
  const shutdown = async (removed: boolean): Promise<void> => {
    if (exiting) return;
    exiting = true;
    clearInterval(resync);
    server.close();
    await c.close();
    await deps.network?.close().catch(() => undefined);
    await rm(sockPath, { force: true });
    await lock.release();
    if (removed) {
      await rm(projectDir(paths, name), { recursive: true, force: true });
      await rmdir(projectDir(paths, name)).catch(() => undefined);
    }
    log('supervisor exiting');
    process.exit(0);
  };
  let lastRequest = Date.now();
  const server = await listen(sockPath, c, { stateFile, onDown: () => void shutdown(true), onRequest: () => (lastRequest = Date.now()) });
  // resync timer; a supervisor that never got a project (e.g. started by `stop` on an unknown project) leaves
  const resync = setInterval(() => {
    if (!c.st.project && Date.now() - lastRequest > IDLE_EXIT_MS) void shutdown(true);
    else c.kick();
  }, RESYNC_MS);
  process.on('SIGTERM', () => void shutdown(false));
  process.on('SIGINT', () => void shutdown(false));
  signalReady();

  if (st.phase === 'down') {
    // A `down` was interrupted: finish it, then serve the CLI that started us (its request may be an
    // `up`); with no project the idle rule below ends this supervisor.
    log('finishing an interrupted down');
    await handleDown(c, undefined, { volumes: st.removeVolumes ?? false, removeOrphans: true }, () => undefined, stateFile, true);
    return;
  }
  if (st.project && deps.network) {
    await deps.network.ensureNetworks(st.project, { servicePorts: servicePorts(st.project) }).catch((e) => log(`networks: ${String(e)}`));
  }
  c.kick();
}

const name = process.argv[2];
if (!name) {
  process.stderr.write('usage: supervisor PROJECT\n');
  process.exit(2);
}
main(name).catch((e: unknown) => {
  log(`supervisor failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
