/**
 * The normalized, typed Compose project: the one model every other part of tscompose consumes.
 *
 * Conventions (decided once, used everywhere):
 * - Durations are milliseconds (number). Byte sizes are bytes (number). CPU counts are fractional numbers.
 * - `undefined` means "not set in the file": the image's value (Cmd, Entrypoint, User, WorkingDir,
 *   Healthcheck, StopSignal) or the engine default applies. Empty arrays/maps mean "set, and empty".
 * - Names of services/networks/volumes are the keys as written in the file; `Network.name` and
 *   `Volume.name` are the resolved host-side names (`<project>_<key>` unless `name:` or `external`).
 * - Everything here is plain data (JSON-serializable); no `any`; unions are discriminated.
 */

export interface Project {
  /** Normalized project name: [a-z0-9][a-z0-9_-]* */
  name: string;
  /** Absolute project directory: relative paths in the files resolve against it. */
  workingDir: string;
  /** Absolute paths of the compose files that made this project, in merge order (includes excluded). */
  composeFiles: string[];
  /** Services enabled by the active profiles, by name. */
  services: Record<string, Service>;
  /** Services that exist in the file but whose profiles are not active (for `config --profiles` etc.). */
  disabledServices: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  /** Every profile named by any service, sorted. */
  profiles: string[];
  /** Active profiles (from --profile / COMPOSE_PROFILES). */
  activeProfiles: string[];
  /** Top-level `x-*` keys, kept verbatim. */
  extensions: Record<string, unknown>;
}

export interface SpecWarning {
  /** "file:line:col" or a file path when no position is known */
  location: string;
  /** Key path such as "services.web.secrets" */
  path: string;
  message: string;
}

export interface LoadResult {
  project: Project;
  warnings: SpecWarning[];
}

// ---------------------------------------------------------------------------------------------- service

export interface Service {
  name: string;
  /** `image:` as written (after interpolation). With `build` and no image: `<project>-<service>`. */
  image?: string;
  build?: BuildConfig;
  pullPolicy: PullPolicy;
  /** undefined = image Cmd. A string form is split like a shell would (quotes respected), as Compose does. */
  command?: string[];
  /** undefined = image Entrypoint; [] = explicitly empty (clears the image's). */
  entrypoint?: string[];
  /** Fully resolved: env_file entries first, then `environment` over them. `FOO` without value takes the
   *  caller's environment; if unset there it is left out. */
  environment: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  containerName?: string;
  hostname?: string;
  domainname?: string;
  user?: string;
  workingDir?: string;
  init: boolean;
  tty: boolean;
  stdinOpen: boolean;
  privileged: boolean;
  readOnly: boolean;
  capAdd: string[]; // upper case, with CAP_ prefix ("CAP_NET_ADMIN"); "ALL" kept as "ALL"
  capDrop: string[];
  securityOpt: string[];
  groupAdd: string[];
  /** Resolved from `stop_signal`, upper case with SIG prefix; undefined = image StopSignal or SIGTERM. */
  stopSignal?: string;
  /** Default 10000 (Compose's 10 s). */
  stopGracePeriodMs: number;
  ports: PortMapping[];
  /** `expose:` entries, normalized to "port[/proto]" (ranges expanded). */
  expose: ExposedPort[];
  volumes: ServiceMount[];
  volumesFrom: string[];
  dependsOn: Record<string, Dependency>;
  /** undefined = use the image's healthcheck. */
  healthcheck?: Healthcheck;
  /** Replica count: `deploy.replicas`, else `scale`, else 1. */
  replicas: number;
  restart: RestartPolicy;
  resources: Resources;
  /** `deploy.update_config`, defaults as Compose/swarm (parallelism 1, delay 0, order stop-first). */
  updateConfig: UpdateConfig;
  rollbackConfig?: UpdateConfig;
  /** Where the container's network namespace comes from. */
  networkMode: NetworkMode;
  /** Networks the service is on (only for networkMode.kind === 'bridge'); key = network key in the file. */
  networks: Record<string, ServiceNetwork>;
  extraHosts: ExtraHost[];
  dns: string[];
  dnsSearch: string[];
  dnsOpt: string[];
  sysctls: Record<string, string>;
  ulimits: Record<string, Ulimit>;
  tmpfs: TmpfsMount[];
  shmSizeBytes?: number;
  logging?: { driver?: string; options: Record<string, string> };
  profiles: string[];
  develop?: Develop;
  /** tscompose's own `x-tscompose` service extension. */
  tscompose: TscomposeServiceOptions;
  /** Other `x-*` keys of the service, verbatim. */
  extensions: Record<string, unknown>;
  /**
   * Which of the keys that set the same value were written (of `scale`/`deploy.replicas`,
   * `restart`/`deploy.restart_policy`, `mem_limit`/`deploy.resources.limits.memory`, `cpus`/`...limits.cpus`,
   * `pids_limit`/`...limits.pids`, `mem_reservation`/`...reservations.memory`), as dotted paths. Only
   * `tscompose config` reads it, to print values where the user put them, as `docker compose config` does.
   * It says nothing about the container: leave it out of config hashes.
   */
  writtenKeys?: string[];
}

/** Compose's pull policies; `daily`, `weekly` and `every_<duration>` pull again when the local tag is older. */
export type PullPolicy = 'always' | 'missing' | 'never' | 'build' | 'daily' | 'weekly' | `every_${string}`;

export interface BuildConfig {
  /** Absolute path of the build context. */
  context: string;
  /** Dockerfile path relative to the context (default "Dockerfile"). */
  dockerfile: string;
  dockerfileInline?: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
}

export interface PortMapping {
  /** Container port (single); ranges are expanded into one mapping per port. */
  target: number;
  /** Host port; undefined = ephemeral (picked at run time). */
  published?: number;
  /** Host IP to bind; undefined = all interfaces (0.0.0.0). */
  hostIp?: string;
  protocol: 'tcp' | 'udp';
  mode: 'ingress' | 'host';
  name?: string;
  appProtocol?: string;
}

export interface ExposedPort {
  port: number;
  protocol: 'tcp' | 'udp';
}

export type ServiceMount = BindMount | VolumeMount | TmpfsServiceMount;

interface MountBase {
  /** Absolute path inside the container. */
  target: string;
  readOnly: boolean;
}

export interface BindMount extends MountBase {
  type: 'bind';
  /** Absolute host path (relative and ~ paths resolved against the project dir / HOME). */
  source: string;
  /** Short syntax creates a missing host path as a directory (Compose); long syntax only with create_host_path. */
  createHostPath: boolean;
  propagation?: 'rprivate' | 'private' | 'rshared' | 'shared' | 'rslave' | 'slave';
  selinux?: 'z' | 'Z';
}

export interface VolumeMount extends MountBase {
  type: 'volume';
  /** Key of a top-level volume; undefined = anonymous volume. */
  source?: string;
  nocopy: boolean;
  subpath?: string;
}

export interface TmpfsServiceMount extends MountBase {
  type: 'tmpfs';
  sizeBytes?: number;
  mode?: number;
}

export interface TmpfsMount {
  target: string;
  sizeBytes?: number;
  mode?: number;
  /** Other mount options as written (e.g. "noexec"). */
  options: string[];
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Dependency {
  condition: DependencyCondition;
  /** Default true. A non-required dependency that is missing or disabled is ignored with a warning. */
  required: boolean;
  /** Restart this service when the dependency is restarted by a verb. Default false. */
  restart: boolean;
}

export type HealthcheckTest =
  | { kind: 'cmd'; argv: string[] } // ["CMD", ...]
  | { kind: 'shell'; command: string }; // ["CMD-SHELL", "..."] or a plain string

export type Healthcheck =
  | { kind: 'none' } // ["NONE"] or disable: true: no healthcheck even if the image has one
  | {
      kind: 'check';
      /** undefined = the image's test (when only timings are overridden). */
      test?: HealthcheckTest;
      intervalMs: number; // default 30000
      timeoutMs: number; // default 30000
      retries: number; // default 3
      startPeriodMs: number; // default 0
      startIntervalMs: number; // default 5000
    };

export type RestartCondition = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface RestartPolicy {
  condition: RestartCondition;
  /** on-failure:N or deploy.restart_policy.max_attempts; undefined = unlimited. */
  maxAttempts?: number;
  /** deploy.restart_policy.delay; undefined = tscompose's exponential back-off. */
  delayMs?: number;
  /** deploy.restart_policy.window. */
  windowMs?: number;
}

export interface Resources {
  /** mem_limit or deploy.resources.limits.memory */
  memoryBytes?: number;
  /** memswap_limit (total memory+swap, as Docker); -1 = unlimited swap. */
  memorySwapBytes?: number;
  /** mem_reservation or deploy.resources.reservations.memory */
  memoryReservationBytes?: number;
  memSwappiness?: number;
  /** cpus or deploy.resources.limits.cpus */
  cpus?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuset?: string;
  /** deploy.resources.reservations.cpus (informational on one host). */
  cpusReservation?: number;
  /** pids_limit or deploy.resources.limits.pids */
  pidsLimit?: number;
  blkioWeight?: number;
  blkioDeviceReadBps: DeviceRate[];
  blkioDeviceWriteBps: DeviceRate[];
  blkioDeviceReadIops: DeviceRate[];
  blkioDeviceWriteIops: DeviceRate[];
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
}

export interface DeviceRate {
  path: string;
  rate: number;
}

export interface UpdateConfig {
  parallelism: number;
  delayMs: number;
  order: 'stop-first' | 'start-first';
  failureAction: 'continue' | 'rollback' | 'pause';
  monitorMs: number;
  maxFailureRatio: number;
}

export type NetworkMode =
  | { kind: 'bridge' } // the service's `networks:` (or the project's default network)
  | { kind: 'host' }
  | { kind: 'none' }
  | { kind: 'service'; service: string }
  | { kind: 'container'; container: string };

export interface ServiceNetwork {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  priority: number;
  macAddress?: string;
}

export interface ExtraHost {
  hostname: string;
  ip: string; // "host-gateway" kept literally; resolved at run time
}

export interface Ulimit {
  soft: number;
  hard: number;
}

export interface Develop {
  watch: WatchRule[];
}

export interface WatchRule {
  action: 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';
  /** Absolute host path watched. */
  path: string;
  /** Container path for sync actions. */
  target?: string;
  ignore: string[];
  include: string[];
  initialSync: boolean;
  exec?: { command: string[]; user?: string; workingDir?: string; environment: Record<string, string> };
}

export interface TscomposeServiceOptions {
  /** Load balancer strategy for replicated services (`x-tscompose: {lb: least-connections}`). */
  lb: 'round-robin' | 'least-connections';
}

// ---------------------------------------------------------------------------------------------- top level

export interface Network {
  /** Host-side name: `name:` if given, else `<project>_<key>`; for external: `name:` or the key. */
  name: string;
  driver: string; // "bridge" by default
  driverOpts: Record<string, string>;
  external: boolean;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  labels: Record<string, string>;
  ipam: { driver?: string; config: IpamPool[] };
  /** `x-*` keys of the network, verbatim (additive). */
  extensions?: Record<string, unknown>;
}

export interface IpamPool {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses: Record<string, string>;
}

export interface Volume {
  /** Host-side name: `name:` if given, else `<project>_<key>`; for external: `name:` or the key. */
  name: string;
  driver: string; // "local"
  driverOpts: Record<string, string>;
  external: boolean;
  labels: Record<string, string>;
  /** `x-*` keys of the volume, verbatim (additive). */
  extensions?: Record<string, unknown>;
}
