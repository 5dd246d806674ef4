/**
 * The engine interface the CLI talks to: one method per verb, typed options, typed progress events.
 * The engine never imports commander or listr2; the CLI never imports controller, runtime or network
 * internals. Mutating verbs go through the project's supervisor (src/supervisor); read-only verbs
 * (ps, logs, top, exec) read the runtime's records directly when no supervisor runs.
 */
import type { Project } from './spec/model.js';

/** Progress of one resource, rendered by the CLI as Compose does (` ✔ Container p-web-1  Started`). */
export interface ResourceProgress {
  type: 'resource';
  /** "Container p-web-1", "Network p_default", "Volume p_data", "Image busybox". */
  resource: string;
  status:
    | 'Creating' | 'Created' | 'Starting' | 'Started' | 'Running' | 'Recreate' | 'Recreated'
    | 'Stopping' | 'Stopped' | 'Removing' | 'Removed' | 'Killing' | 'Killed' | 'Restarting' | 'Restarted'
    | 'Waiting' | 'Healthy' | 'Pulling' | 'Pulled' | 'Error' | 'Orphan' | 'Paused' | 'Unpaused'
    /** Compose's warning when `down` leaves a network a container (a running orphan) still uses. */
    | 'Resource is still in use'
    | 'Skipped - No image to be pulled';
  /** Extra text (a cause, an error message). */
  detail?: string;
  /** true once this resource reached a final state for this operation. */
  done: boolean;
}

export interface MessageProgress {
  type: 'message';
  level: 'info' | 'warning' | 'error';
  text: string;
}

export type ProgressEvent = ResourceProgress | MessageProgress;
export type OnProgress = (e: ProgressEvent) => void;

export interface UpOptions {
  /** Services to bring up (with their dependencies); empty = all. */
  services: string[];
  scale: Record<string, number>;
  noStart: boolean;
  /** For the services named (all when none is), as Compose's --force-recreate; their dependencies: alwaysRecreateDeps. */
  forceRecreate: boolean;
  noRecreate: boolean;
  /** `up --always-recreate-deps`: the dependencies of the named services are recreated too. */
  alwaysRecreateDeps?: boolean;
  removeOrphans: boolean;
  /** Return only once every container runs (and is healthy where it has a healthcheck). */
  wait: boolean;
  waitTimeoutMs?: number;
  /** `up --no-deps SERVICE...`: the named services only, not their depends_on services. */
  noDeps?: boolean;
  /** `up --pull`: this policy instead of each service's pull_policy (build services keep theirs). */
  pull?: 'always' | 'missing' | 'never';
  /** `up -V`: containers this up recreates get fresh anonymous volumes, not their predecessors'. */
  renewAnonVolumes?: boolean;
}

export interface UpResult {
  /** false when nothing had to change (second `up`). */
  changed: boolean;
  orphans: string[];
}

export interface DownOptions {
  volumes: boolean;
  removeOrphans: boolean;
  /** Stop timeout; default each service's stop_grace_period. */
  timeoutMs?: number;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'restarting' | 'paused';

/** One row of `ps`; field names of `docker compose ps --format json`. */
export interface ContainerSummary {
  ID: string;
  Name: string;
  Project: string;
  Service: string;
  Number: number;
  Image: string;
  Command: string;
  State: ContainerState;
  /** "Up 3 seconds", "Up 3 seconds (healthy)", "Exited (1) 2 seconds ago", "Created". */
  Status: string;
  Health: '' | 'starting' | 'healthy' | 'unhealthy';
  ExitCode: number;
  CreatedAt: string;
  Publishers: { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
  Labels: Record<string, string>;
  /** Host pid of PID 1 while running (tscompose extension). */
  Pid?: number;
}

export interface PsOptions {
  all: boolean;
  services: string[];
  /** Include one-off `run` containers (`project-service-run-ID`), as `docker compose ps` lists them. */
  oneOffs?: boolean;
}

export interface LogsOptions {
  services: string[];
  follow: boolean;
  tail?: number;
  /** Only lines at or after this time (ms since epoch). */
  sinceMs?: number;
  /** Only lines before this time (ms since epoch). */
  untilMs?: number;
  /** Only the container with this number (`logs --index N`). */
  index?: number;
  /** With follow: return once no container of the selection runs or waits to restart (as `logs -f`). */
  endWhenStopped?: boolean;
  timestamps: boolean;
}

export interface LogLine {
  container: string;
  service: string;
  number: number;
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as in the CRI log file. */
  time: string;
  text: string;
}

export interface ContainerEvent {
  time: string;
  type: 'container';
  /** create, start, die, stop, kill, destroy, oom, restart, health_status: healthy, ... */
  action: string;
  id: string;
  service: string;
  attributes: Record<string, string>;
}

export interface TopProcess {
  uid: string;
  pid: number;
  ppid: number;
  cmd: string;
  /** `ps -ef` columns, as `docker compose top` prints them: user name, CPU %, start, tty, CPU time. */
  user?: string;
  c?: number;
  stime?: string;
  tty?: string;
  time?: string;
}

export interface TopResult {
  container: string;
  processes: TopProcess[];
}

export interface ExecOptions {
  service: string;
  index: number;
  argv: string[];
  env: Record<string, string>;
  user?: string;
  workdir?: string;
  tty: boolean;
  interactive: boolean;
  /** `exec -d`: run the command in the background. */
  detach?: boolean;
  /** `exec --privileged`: every capability for the command. */
  privileged?: boolean;
}

export interface Engine {
  /** Optional: start a supervisor process now, while the caller still loads the project `up` will hand it. */
  prepare?(): void;
  up(project: Project, opts: UpOptions, onProgress: OnProgress): Promise<UpResult>;
  down(project: Project | string, opts: DownOptions, onProgress: OnProgress): Promise<void>;
  ps(project: string, opts: PsOptions): Promise<ContainerSummary[]>;
  logs(project: string, opts: LogsOptions, onLine: (l: LogLine) => void, signal?: AbortSignal): Promise<void>;
  scale(project: Project, scale: Record<string, number>, onProgress: OnProgress): Promise<UpResult>;
  /** noDeps: only the named services, not their depends_on `restart: true` dependents. */
  restart(project: string, services: string[], opts: { timeoutMs?: number; noDeps?: boolean }, onProgress: OnProgress): Promise<void>;
  stop(project: string, services: string[], opts: { timeoutMs?: number }, onProgress: OnProgress): Promise<void>;
  start(project: string, services: string[], onProgress: OnProgress): Promise<void>;
  kill(project: string, services: string[], signal: string, onProgress: OnProgress): Promise<void>;
  top(project: string, services: string[]): Promise<TopResult[]>;
  /**
   * Container events as they happen. `since` (ISO time): first the events the project's supervisor still
   * holds from after that time (its recent ones, since it started); `until` (ISO time): only events before
   * it, and the stream ends then (at once when it is past).
   */
  events(project: string, onEvent: (e: ContainerEvent) => void, signal?: AbortSignal, opts?: { since?: string; until?: string }): Promise<void>;
  /** Resolves with the command's exit status. */
  exec(project: string, opts: ExecOptions): Promise<number>;
}
