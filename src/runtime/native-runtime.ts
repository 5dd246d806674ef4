/**
 * NativeRuntime: ContainerRuntime over native/build/tsc-runtime (runc-style CLI, native/README.md).
 *
 * Durable state: `<root>/containers/<id>/` (container-store.ts). Runtime state (shim, pid, exit.json):
 * `<run dir>/runtime/<id>/`, owned by tsc-runtime. Nothing lives only in this process's memory, so a
 * NativeRuntime made by a new process lists, waits for, stops and removes containers made by an old one.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TscError } from '../errors.js';
import type { ContainerCreateRequest, ContainerInfo, ContainerRuntime, ContainerStats, ExecRequest, ExecResult, ExitInfo } from './api.js';
import { hostCgroupLayout, readCgroupStats } from './cgroup-stats.js';
import { thaw } from './freezer.js';
import { prepareContainer } from './container-prepare.js';
import { hasChildCgroups, hasMountsUnder, parentCgroup, removeCgroups, removeContainerDir } from './container-remove.js';
import { checkId, containerPaths, listRecords, readRecord, type ContainerRecord } from './container-store.js';
import { execArgs } from './exec-args.js';
import { watchExit } from './exit-watch.js';
import { defaultRuntimeBinary, runTool, runToolOk } from './runtime-bin.js';
import { deleteStoppedDirect, signalDirect } from './direct.js';
import { parseExitText, type RuntimeState } from './runtime-state.js';
import { readRuntimeState } from './runtime-state-fs.js';
import { canonicalSignal } from './signals.js';
import { byteOrder } from '../order.js';

export interface NativeRuntimeOptions {
  /** TSCOMPOSE_ROOT (default: $TSCOMPOSE_ROOT or /var/lib/tscompose). */
  root?: string;
  /** tsc-runtime state root (default: <$TSCOMPOSE_RUN_DIR or $TSCOMPOSE_RUN or /run/tscompose>/runtime). */
  runtimeRoot?: string;
  /** Path of tsc-runtime (default: native/build/tsc-runtime of this package, or $TSCOMPOSE_RUNTIME_BIN). */
  binary?: string;
  env?: Record<string, string | undefined>;
}

const DEFAULT_GRACE_MS = 10_000;
const UNKNOWN_EXIT = (): ExitInfo => ({ exitCode: 255, oomKilled: false, finishedAt: new Date().toISOString() });

export class NativeRuntime implements ContainerRuntime {
  readonly root: string;
  readonly runtimeRoot: string;
  readonly binary: string;
  private readonly waits = new Map<string, Promise<ExitInfo>>();
  /** Container directories being removed in the background (remove with filesLater). */
  private readonly removing = new Map<string, Promise<void>>();
  private rootMade: Promise<void> | undefined;

  constructor(opts: NativeRuntimeOptions = {}) {
    const env = opts.env ?? process.env;
    this.root = opts.root ?? env.TSCOMPOSE_ROOT ?? '/var/lib/tscompose';
    this.runtimeRoot = opts.runtimeRoot ?? join(env.TSCOMPOSE_RUN_DIR ?? env.TSCOMPOSE_RUN ?? '/run/tscompose', 'runtime');
    this.binary = opts.binary ?? defaultRuntimeBinary(env);
  }

  private tool(args: string[]): string[] {
    return ['--root', this.runtimeRoot, ...args];
  }

  private async record(id: string): Promise<ContainerRecord> {
    const rec = await readRecord(this.root, id);
    if (!rec) throw new TscError('NOT_FOUND', `no such container: ${id}`);
    return rec;
  }

  /** The runtime's view of a container, read from its state directory (runtime-state-fs.ts). */
  private state(id: string): Promise<RuntimeState | undefined> {
    return readRuntimeState(this.runtimeRoot, id);
  }

  private async readExit(id: string): Promise<ExitInfo | undefined> {
    try {
      return parseExitText(readFileSync(join(this.runtimeRoot, id, 'exit.json'), 'utf8')); // tmpfs, small: one blocking read
    } catch {
      return undefined;
    }
  }

  private info(rec: ContainerRecord, st: RuntimeState | undefined): ContainerInfo {
    const out: ContainerInfo = {
      id: rec.id,
      name: rec.name,
      project: rec.project,
      service: rec.service,
      number: rec.number,
      labels: { ...rec.labels },
      // no runtime state at all (host rebooted, runtime state wiped): the container is not running
      status: st?.status ?? 'stopped',
      createdAt: rec.createdAt,
      logPath: containerPaths(this.root, rec.id).log,
    };
    if (st?.pid !== undefined && st.status !== 'stopped') out.pid = st.pid;
    if (st?.startedAt !== undefined) out.startedAt = st.startedAt;
    if (st?.exit !== undefined) out.exit = st.exit;
    return out;
  }

  /** The runtime root, made once per instance (the tool makes it too; Node's own reads need it first). */
  private async runtimeRootReady(): Promise<void> {
    this.rootMade ??= fsp.mkdir(this.runtimeRoot, { recursive: true, mode: 0o700 }).then(() => undefined);
    try {
      await this.rootMade;
    } catch (e) {
      this.rootMade = undefined;
      throw e;
    }
  }

  async create(req: ContainerCreateRequest): Promise<ContainerInfo> {
    checkId(req.id);
    await this.runtimeRootReady();
    const { paths, record, durable } = await prepareContainer(this.root, req);
    try {
      // create + start in one process (`run --detach`): a spawn is the costly part of a container start
      const verb = req.start ? ['run', '--detach'] : ['create'];
      await runToolOk(this.binary, this.tool([...verb, '--bundle', paths.bundle, '--log-path', paths.log, req.id]), `${req.start ? 'start' : 'create'} ${req.name}`);
      // the record's fsync ran alongside the runtime: durable before create returns, as before
      await durable;
    } catch (e) {
      await durable.catch(() => undefined);
      await runTool(this.binary, this.tool(['delete', '--force', req.id])).catch(() => undefined);
      await removeCgroups(record.cgroupsPath);
      await removeContainerDir(paths.dir).catch(() => undefined);
      // the project's parent cgroup too, when this was to be its only container (a first create failed)
      await this.removeParentCgroup(record).catch(() => undefined);
      throw e;
    }
    return this.info(record, await this.state(req.id));
  }

  /**
   * One-off in the foreground (`tscompose run`): create + start through `tsc-runtime run`, with the
   * caller's stdio passed through and signals forwarded by the runtime. Resolves with the exit; the
   * container is left stopped (remove it for --rm). Not part of ContainerRuntime (additive).
   */
  async runAttached(req: ContainerCreateRequest, opts: { onSpawn?: (pid: number) => void; volatileRootfs?: boolean } = {}): Promise<ExitInfo> {
    checkId(req.id);
    await this.runtimeRootReady();
    const { paths, durable } = await prepareContainer(this.root, req, opts.volatileRootfs ? { volatileRootfs: true } : {});
    await durable;
    const r = await runTool(this.binary, this.tool(['run', '--bundle', paths.bundle, req.id]), {
      stdio: 'inherit',
      ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
    });
    const st = await this.state(req.id).catch(() => undefined);
    return st?.exit ?? { exitCode: r.code, oomKilled: false, finishedAt: new Date().toISOString() };
  }

  /** Idempotent on a running container. A container runs once: after its exit it is recreated, not restarted. */
  async start(id: string): Promise<ContainerInfo> {
    const rec = await this.record(id);
    const st = await this.state(id);
    if (st?.status === 'running') return this.info(rec, st);
    if (st === undefined || st.status === 'stopped') {
      throw new TscError('CONFLICT', `cannot start ${rec.name}: its process has exited (a container runs once; create a new one)`);
    }
    await runToolOk(this.binary, this.tool(['start', id]), `start ${rec.name}`);
    return this.info(rec, await this.state(id));
  }

  async stop(id: string, opts: { signal?: string; timeoutMs?: number } = {}): Promise<ExitInfo | undefined> {
    const rec = await this.record(id);
    const st = await this.state(id);
    if (!st) return undefined;
    if (st.status === 'stopped') return st.exit;
    const signal = canonicalSignal(opts.signal ?? rec.stopSignal ?? 'SIGTERM');
    const grace = opts.timeoutMs ?? rec.stopGracePeriodMs ?? DEFAULT_GRACE_MS;
    await thaw(rec.cgroupsPath); // a paused container takes its stop signal (as Docker unpauses it)
    const exited = this.wait(id);
    if (st.status === 'created') {
      // PID 1 never ran the workload: nothing to stop gracefully
      await this.signal(id, 'SIGKILL');
      return exited;
    }
    await this.signal(id, signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, grace))));
    const first = await Promise.race([exited, timedOut]);
    if (timer) clearTimeout(timer);
    if (first !== 'timeout') return first;
    await this.signal(id, 'SIGKILL');
    return exited;
  }

  /** Send a signal; a container that exited in the meantime is not an error. */
  private async signal(id: string, signal: string): Promise<void> {
    if ((await signalDirect(this.runtimeRoot, id, signal)) !== 'fallback') return;
    const r = await runTool(this.binary, this.tool(['kill', id, signal]));
    if (r.code === 0) return;
    const st = await this.state(id);
    if (st?.status === 'stopped' || st === undefined) return;
    throw new TscError('RUNTIME', `kill ${id} ${signal}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  }

  async kill(id: string, signal = 'SIGKILL'): Promise<void> {
    const rec = await this.record(id);
    const sig = canonicalSignal(signal);
    const st = await this.state(id);
    if (!st || st.status === 'stopped') throw new TscError('CONFLICT', `cannot kill ${rec.name}: container is not running`);
    // as Docker: SIGKILL or the stop signal ends a pause (a frozen process would not take it); others stay queued
    if (sig === 'SIGKILL' || sig === canonicalSignal(rec.stopSignal ?? 'SIGTERM')) await thaw(rec.cgroupsPath);
    await this.signal(id, sig);
  }

  wait(id: string): Promise<ExitInfo> {
    let p = this.waits.get(id);
    if (!p) {
      p = this.waitUncached(id).finally(() => this.waits.delete(id));
      this.waits.set(id, p);
    }
    return p;
  }

  private async waitUncached(id: string): Promise<ExitInfo> {
    await this.record(id);
    const st = await this.state(id);
    if (!st) return UNKNOWN_EXIT();
    if (st.exit) return st.exit;
    return watchExit({
      stateDir: join(this.runtimeRoot, id),
      ...(st.shimPid !== undefined ? { shimPid: st.shimPid } : {}),
      readExit: () => this.readExit(id),
      onShimGone: async () => (await this.state(id))?.exit ?? UNKNOWN_EXIT(),
    });
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const rec = await readRecord(this.root, id);
    if (!rec) return undefined;
    return this.info(rec, await this.state(id));
  }

  async list(filter: { project?: string } = {}): Promise<ContainerInfo[]> {
    const recs = (await listRecords(this.root)).filter((r) => filter.project === undefined || r.project === filter.project);
    const out = await Promise.all(recs.map(async (rec) => this.info(rec, await this.state(rec.id))));
    return out.sort((a, b) => byteOrder(a.createdAt, b.createdAt) || byteOrder(a.name, b.name));
  }

  async remove(id: string, opts: { force?: boolean; filesLater?: boolean } = {}): Promise<void> {
    const rec = await readRecord(this.root, id);
    const paths = containerPaths(this.root, id);
    const st = await this.state(id);
    if (!rec && !st) {
      const exists = await fsp.stat(paths.dir).then(() => true, () => false);
      if (!exists) throw new TscError('NOT_FOUND', `no such container: ${id}`);
    }
    const name = rec?.name ?? id;
    if (st && st.status !== 'stopped') {
      // as Docker: a created (never started) container goes without force, a running one needs it
      if (st.status === 'running' && !opts.force) throw new TscError('CONFLICT', `cannot remove ${name}: container is running; stop it first or force`);
      if (rec) await thaw(rec.cgroupsPath);
      await this.signal(id, 'SIGKILL');
      await this.wait(id).catch(() => undefined);
    }
    // the direct delete removed the cgroups already (of every controller, the freezer of a pause too)
    const direct = st?.status === 'stopped' && (await deleteStoppedDirect(this.runtimeRoot, id)) === 'deleted';
    if (st && !direct) await runToolOk(this.binary, this.tool(['delete', '--force', id]), `delete ${name}`);
    if (rec && !direct) await removeCgroups(rec.cgroupsPath, 2000);
    // a mount left under the directory: the careful, synchronous path (it refuses, and the record stays)
    if (!opts.filesLater || hasMountsUnder(paths.dir)) {
      await removeContainerDir(paths.dir);
      if (rec) await this.removeParentCgroup(rec);
      return;
    }
    // Out of list/inspect at once (no record); the rest of the directory — a dozen unlinks, milliseconds
    // each on a busy disk — need not hold up a scale-down's answer. Left half-way by a crash, it is
    // finished by the next remove of the id (the supervisor's journal keeps the id until `removed`).
    // (the bundle's config too: volume users are found from it)
    await Promise.all([fsp.rm(join(paths.dir, 'container.json'), { force: true }), fsp.rm(join(paths.bundle, 'config.json'), { force: true })]);
    if (rec) await this.removeParentCgroup(rec);
    const files = removeContainerDir(paths.dir).finally(() => this.removing.delete(id));
    files.catch(() => undefined); // reported through removed()
    this.removing.set(id, files);
  }

  removed(id: string): Promise<void> {
    return this.removing.get(id) ?? Promise.resolve();
  }

  /**
   * The project's cgroup parent goes with its last container. A create of the same project writes its
   * record before the runtime makes cgroups, so it is seen here (and the kernel refuses a busy rmdir).
   * While the parent still has child cgroups (the other replicas of a scale-down), it is in use: no listing
   * of every record per removal.
   */
  private async removeParentCgroup(rec: ContainerRecord): Promise<void> {
    const parent = parentCgroup(rec.cgroupsPath);
    if (await hasChildCgroups(parent)) return;
    if (!(await listRecords(this.root)).some((r) => r.project === rec.project)) await removeCgroups(parent);
  }

  async exec(id: string, req: ExecRequest): Promise<ExecResult> {
    const rec = await this.record(id);
    const st = await this.state(id);
    if (st?.status !== 'running') throw new TscError('CONFLICT', `cannot exec in ${rec.name}: container is not running`);
    const args = this.tool(await execArgs(rec, req, containerPaths(this.root, id).upper));
    if (req.inheritStdio && !req.detach) {
      const r = await runTool(this.binary, args, { stdio: 'inherit', ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}) });
      if (r.timedOut) throw new TscError('TIMEOUT', `exec in ${rec.name}: timed out after ${req.timeoutMs} ms`);
      return { exitCode: r.code, stdout: '', stderr: '' };
    }
    const r = await runTool(this.binary, args, req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {});
    if (r.timedOut) throw new TscError('TIMEOUT', `exec in ${rec.name}: timed out after ${req.timeoutMs} ms`);
    // detached: tsc-runtime prints the command's pid, which docker's exec -d does not show
    return { exitCode: r.code, stdout: req.detach ? '' : r.stdout, stderr: r.stderr };
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const rec = await readRecord(this.root, id);
    const layout = await hostCgroupLayout();
    if (!rec || !layout) return undefined;
    return readCgroupStats(layout, rec.cgroupsPath);
  }
}
