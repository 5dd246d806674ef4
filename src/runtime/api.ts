/**
 * Contract between the container runtime layer (src/runtime, driving native/ tsc-runtime) and the
 * controller/supervisor. Container = one OCI bundle + one shim process + one PID 1.
 */
import type { Service } from '../spec/model.js';
import type { LocalImage } from '../image/api.js';

export interface ResolvedMount {
  type: 'bind' | 'tmpfs';
  /** Host path for binds (already resolved: named volumes become their host dirs). */
  source?: string;
  target: string;
  readOnly: boolean;
  options?: string[];
}

export interface ContainerCreateRequest {
  /** Unique, stable id (also the state-dir name): lower-case [a-z0-9-], ≤ 64 chars. */
  id: string;
  /** Compose-style name: `<project>-<service>-<n>` (or container_name). */
  name: string;
  project: string;
  service: string;
  /** Replica number, from 1. */
  number: number;
  spec: Service;
  image: LocalImage;
  /** Join this network namespace (made by src/network). undefined: a new empty one (network_mode none). 'host': the host's. */
  netns?: string | 'host';
  mounts: ResolvedMount[];
  /** Content for /etc/hosts and /etc/resolv.conf (bind-mounted read-only); undefined = a minimal default. */
  hostsFile?: string;
  resolvConf?: string;
  /** Labels stored with the container (project, service, number, config hash, ...). */
  labels: Record<string, string>;
  /** One-off (tscompose run): override the command. */
  commandOverride?: string[];
  tty?: boolean;
  /** Start PID 1 right away (create + start in one runtime call); the result is then `running`. */
  start?: boolean;
  /**
   * A log file that becomes this container's log, its output appended (a restart by policy keeps the log,
   * as Docker's one container does); moved (rename) before the process starts. Missing: a fresh log.
   */
  carryLog?: string;
}

export type ContainerStatus = 'created' | 'running' | 'stopped';

export interface ExitInfo {
  /** Exit status; 128+N for a signal. */
  exitCode: number;
  signal?: string;
  oomKilled: boolean;
  finishedAt: string; // ISO
}

export interface ContainerInfo {
  id: string;
  name: string;
  project: string;
  service: string;
  number: number;
  labels: Record<string, string>;
  status: ContainerStatus;
  /** Host pid of the container's PID 1 while running. */
  pid?: number;
  createdAt: string;
  startedAt?: string;
  exit?: ExitInfo;
  /** Absolute path of the CRI-format log file ("<ts> stdout|stderr F|P <text>"). */
  logPath: string;
}

export interface ExecRequest {
  argv: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  tty?: boolean;
  /** Wire to the caller's stdio (interactive `exec -it`); otherwise output is captured. */
  inheritStdio?: boolean;
  timeoutMs?: number;
  /** Start the command in the background and return at once (exit status 0; `exec -d`). */
  detach?: boolean;
  /** Every capability for this process (`exec --privileged`); the container's seccomp filter stays. */
  privileged?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ContainerStats {
  memoryBytes: number;
  memoryLimitBytes?: number;
  cpuUsageNs: number;
  pids: number;
  throttledPeriods?: number;
}

export interface ContainerRuntime {
  create(req: ContainerCreateRequest): Promise<ContainerInfo>;
  start(id: string): Promise<ContainerInfo>;
  /** Stop signal, wait up to grace, then SIGKILL; resolves with the exit. Idempotent on a stopped container. */
  stop(id: string, opts?: { signal?: string; timeoutMs?: number }): Promise<ExitInfo | undefined>;
  kill(id: string, signal?: string): Promise<void>;
  /** Resolves when PID 1 has exited (immediately if it already has). Works for containers this process did not start. */
  wait(id: string): Promise<ExitInfo>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  list(filter?: { project?: string }): Promise<ContainerInfo[]>;
  /**
   * Remove state, cgroup, mounts, writable layer. force: kill first. filesLater: resolves once the container
   * is out of list/inspect and its processes, cgroups and runtime state are gone; its directory (writable
   * layer, logs) goes in the background, see `removed`.
   */
  remove(id: string, opts?: { force?: boolean; filesLater?: boolean }): Promise<void>;
  /** Resolves when the files of a `filesLater` removal of `id` are gone (at once when none is pending). */
  removed?(id: string): Promise<void>;
  exec(id: string, req: ExecRequest): Promise<ExecResult>;
  stats(id: string): Promise<ContainerStats | undefined>;
}
