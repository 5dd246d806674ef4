/**
 * Contract between health checking (src/health) and the controller.
 *
 * - `effectiveHealthcheck(service, image)` merges the service's `healthcheck:` with the image's
 *   HEALTHCHECK (Docker's rules; `NONE` / `disable: true` turns it off) → a `ProbeConfig` or undefined.
 * - `HealthState` is the pure state machine (Docker's daemon/health.go semantics), driven by probe results
 *   and a clock value; it also says how long to wait before the next probe.
 * - `HealthChecker` runs probes in a container through `ContainerRuntime.exec` on that schedule and emits
 *   `HealthEvent`s on every status change. The controller creates one per started container that has a
 *   healthcheck and stops it when the container stops or is removed.
 * - `evaluateDependency` decides whether a `depends_on` condition is satisfied, pending or failed.
 *
 * Policy (as Compose): an unhealthy container is NOT restarted, whatever its `restart:` policy; the
 * controller only takes an unhealthy replica out of the load balancer rotation and reports it in
 * `ps` / `events`. A healthy replica goes back into the rotation.
 */
import type { DependencyCondition } from '../spec/model.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** A fully resolved healthcheck: what to run and when. Durations in ms. */
export interface ProbeConfig {
  /** Exact argv to exec: CMD → its args, CMD-SHELL → ["/bin/sh", "-c", command]. */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  startIntervalMs: number;
}

/** One probe's outcome, as Docker's HealthcheckResult. exitCode -1: timed out or could not run. */
export interface ProbeResult {
  exitCode: number;
  /** stdout+stderr, truncated to 4096 bytes (Docker's limit). */
  output: string;
  /** Clock time (ms) when the probe started and ended. */
  start: number;
  end: number;
}

export interface HealthSnapshot {
  status: HealthStatus;
  failingStreak: number;
  /** The last results, newest last (at most 5, as Docker's State.Health.Log). */
  log: ProbeResult[];
}

export interface HealthEvent {
  containerId: string;
  service: string;
  status: HealthStatus;
  /** Output of the probe that caused the change ('' for the initial `starting`). */
  output: string;
  /** Exit code of that probe (undefined for the initial `starting`). */
  exitCode?: number;
  failingStreak: number;
}

/** What the controller knows about one container of a dependency service. */
export interface DependencyContainerState {
  name: string;
  /** created: never started; running; exited: PID 1 ended (exitCode set). */
  state: 'created' | 'running' | 'exited';
  exitCode?: number;
  /** undefined: the container has no healthcheck (or its checker has not reported yet, see below). */
  health?: HealthStatus;
  /** true: the container has a healthcheck even if `health` is not known yet (treated as starting). */
  hasHealthcheck?: boolean;
}

export type DependencyOutcome =
  | { outcome: 'satisfied'; warning?: string }
  | { outcome: 'pending'; reason: string }
  | { outcome: 'failed'; reason: string };

export interface DependencyQuery {
  /** The dependency's service name. */
  service: string;
  condition: DependencyCondition;
  /** Non-required dependencies that fail are satisfied with a warning (Compose). */
  required: boolean;
  /** Every container of the dependency service (all replicas). */
  containers: DependencyContainerState[];
}

export type { DependencyCondition };

/** Clock seam, so the schedule can be tested without waiting. */
export interface HealthClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthCheckerOptions {
  containerId: string;
  service: string;
  probe: ProbeConfig;
  /** Runs a probe: normally `(argv, timeoutMs) => runtime.exec(containerId, {argv, timeoutMs})`. */
  exec: (argv: string[], timeoutMs: number) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** When the container's PID 1 started (clock ms); start_period counts from here. Default: now. */
  startedAt?: number;
  onEvent: (e: HealthEvent) => void;
  clock?: HealthClock;
}

/**
 * Implemented by `HealthChecker` (src/health/checker.ts):
 *   const hc = new HealthChecker(opts); hc.start(); ... hc.snapshot(); await hc.stop();
 * `start()` emits `starting` at once; the first probe runs one interval later (Docker).
 */
export interface HealthCheckerApi {
  start(): void;
  /** Stop probing; resolves once a probe in flight has finished (its result is dropped). No events after. */
  stop(): Promise<void>;
  snapshot(): HealthSnapshot;
}
