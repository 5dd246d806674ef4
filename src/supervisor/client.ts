/**
 * The CLI's side of the control socket: connect to a project's supervisor (starting it detached when none
 * runs) and make requests whose progress events stream back before the result.
 */
import { connect, type Socket } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, mkdirSync } from 'node:fs';
import { TscError, type ErrorCode } from '../errors.js';
import { lockHolder } from '../state/lock.js';
import { projectDir, projectLockFile, supervisorLogFile, supervisorSocket, type Paths } from '../state/paths.js';
import { onLines, send, type Method } from './protocol.js';
import { spawnSpare, supervisorEnv, supervisorMain, SUPERVISOR_NODE_FLAGS, takeEarlySpare } from '../cli/early.js';

interface Pending {
  onEvent: (e: unknown) => void;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SupervisorClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Resolves when the connection is closed (a supervisor that exits closes it). */
  readonly ended: Promise<void>;

  private closed = false;

  private constructor(private readonly sock: Socket) {
    onLines(sock, (m) => this.onMessage(m));
    this.ended = new Promise((resolve) => sock.once('close', () => resolve()));
    sock.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new TscError('SUPERVISOR', 'the supervisor closed the connection'));
      this.pending.clear();
    });
    sock.on('error', () => undefined);
  }

  /**
   * A connection opened, and requests `1 .. nextId - 1` written on it, before this module loaded (src/cli/
   * early-request.ts); its answers wait in the socket. Undefined when it has failed or closed already.
   */
  static adopt(sock: Socket, nextId: number): SupervisorClient | undefined {
    if (sock.destroyed) return undefined;
    sock.ref(); // unref'd until now, so that nobody waiting on it would keep the CLI alive
    const c = new SupervisorClient(sock);
    c.nextId = nextId;
    return c;
  }

  /** The answer to a request sent before adopt(), its events to `onEvent`. */
  reply(id: number, onEvent: (e: unknown) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new TscError('SUPERVISOR', 'the supervisor closed the connection'));
    return new Promise((resolve, reject) => this.pending.set(id, { onEvent, resolve, reject }));
  }

  static connect(path: string): Promise<SupervisorClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new SupervisorClient(s)));
      s.once('error', reject);
    });
  }

  private onMessage(m: unknown): void {
    if (typeof m !== 'object' || m === null) return;
    const o = m as { id?: unknown; event?: unknown; result?: unknown; error?: { code: ErrorCode; message: string; details?: string[] } };
    const p = typeof o.id === 'number' ? this.pending.get(o.id) : undefined;
    if (!p) return;
    if ('event' in o) p.onEvent(o.event);
    else if (o.error) {
      this.pending.delete(o.id as number);
      p.reject(new TscError(o.error.code, o.error.message, { details: o.error.details ?? [] }));
    } else {
      this.pending.delete(o.id as number);
      p.resolve(o.result);
    }
  }

  request(method: Method, params: Record<string, unknown>, onEvent: (e: unknown) => void = () => undefined): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { onEvent, resolve, reject });
      send(this.sock, { id, method, params });
    });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }
}

/** Connect to the running supervisor of `project`, or undefined when none answers. */
export async function findSupervisor(paths: Paths, project: string): Promise<SupervisorClient | undefined> {
  try {
    return await SupervisorClient.connect(supervisorSocket(paths, project));
  } catch {
    return undefined;
  }
}

/** A supervisor for `project`, its output to the project's log file. */
function spawnSupervisor(paths: Paths, project: string): ChildProcess {
  const env = supervisorEnv({ ...process.env, TSCOMPOSE_ROOT: paths.root, TSCOMPOSE_RUN_DIR: paths.runDir });
  mkdirSync(projectDir(paths, project), { recursive: true, mode: 0o700 });
  const logFd = openSync(supervisorLogFile(paths, project), 'a', 0o600);
  const child = spawn(process.execPath, [...SUPERVISOR_NODE_FLAGS, supervisorMain(), project], { detached: true, cwd: '/', stdio: ['ignore', logFd, logFd, 'pipe'], env });
  closeSync(logFd);
  child.unref();
  return child;
}

type Unrefable = { ref?(): void; unref?(): void };

/**
 * A supervisor started before the project is known (`up` loads the project meanwhile). It waits for
 * its project name; `dismiss` (or the CLI's exit) lets it go without doing anything.
 */
export class SpareSupervisor {
  private used = false;

  private constructor(
    private readonly paths: Paths,
    private readonly child: ChildProcess,
  ) {}

  /** The spare bin/ started before the CLI loaded (src/cli/early.ts), or a new one. */
  static start(paths: Paths): SpareSupervisor {
    const child = takeEarlySpare(paths) ?? spawnSpare({ ...process.env, TSCOMPOSE_ROOT: paths.root, TSCOMPOSE_RUN_DIR: paths.runDir });
    return new SpareSupervisor(paths, child);
  }

  /** Hand it the project; resolves once it listens (or found the project's supervisor running). */
  claim(project: string): Promise<void> {
    if (this.used) return Promise.reject(new TscError('SUPERVISOR', 'spare supervisor already used'));
    this.used = true;
    this.child.ref();
    (this.child.stdio[3] as Unrefable | null)?.ref?.();
    const ready = waitReady(this.child, this.paths, project).finally(() => this.child.unref());
    this.child.stdin?.end(`${project}\n`);
    return ready;
  }

  dismiss(): void {
    if (this.used) return;
    this.used = true;
    this.child.stdin?.destroy();
    (this.child.stdio[3] as (Unrefable & { destroy?(): void }) | null)?.destroy?.();
  }
}

function waitReady(child: ChildProcess, paths: Paths, project: string): Promise<void> {
  const ready = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      ready.removeAllListeners();
      child.removeAllListeners('exit');
      ready.destroy();
      if (err) reject(err);
      else resolve();
    };
    ready.on('data', () => done());
    ready.on('end', () => done());
    ready.on('error', () => done());
    child.once('exit', (code) => (code === 0 ? done() : done(new TscError('SUPERVISOR', `the supervisor of project ${project} failed to start (status ${code}); see ${supervisorLogFile(paths, project)}`))));
  });
}

function startDetached(paths: Paths, project: string): Promise<void> {
  return waitReady(spawnSupervisor(paths, project), paths, project);
}

/** The supervisor of `project`, started when none runs. Two CLIs racing both end up on the one that won the lock. */
export async function ensureSupervisor(paths: Paths, project: string, spare?: SpareSupervisor): Promise<SupervisorClient> {
  const have = await findSupervisor(paths, project);
  if (have) {
    spare?.dismiss();
    return have;
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt === 0 && spare) await spare.claim(project).catch(() => startDetached(paths, project));
    else await startDetached(paths, project);
    for (let i = 0; i < 50; i++) {
      const c = await findSupervisor(paths, project);
      if (c) return c;
      // nobody holds the lock (the one we started deferred to a supervisor that has exited since, e.g.
      // the previous one finishing a `down`): start another now rather than polling for seconds
      if (i > 0 && !(await lockHolder(projectLockFile(paths, project)))) break;
      await new Promise((r) => setTimeout(r, 20 * Math.min(i + 1, 10)));
    }
  }
  throw new TscError('SUPERVISOR', `cannot reach the supervisor of project ${project}; see ${supervisorLogFile(paths, project)}`);
}
