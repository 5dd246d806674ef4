/**
 * Runs a container's health probes on Docker's schedule and reports status changes.
 *
 * One probe at a time: the next is scheduled only after the previous result was recorded. A probe that
 * outlives `timeoutMs` counts as a failure with exit code -1 and the output
 * "Health check exceeded timeout (30s)" (Docker's text); a probe that cannot run at all (exec error)
 * counts as -1 with the error's message. The runtime is also given the timeout so it can kill the probe.
 *
 * Events: `starting` at start(), then one event per status change (healthy/unhealthy), carrying the
 * output and exit code of the probe that caused it. Nothing is emitted after stop(). A checker started
 * well over one interval after its container (a supervisor adopting running containers) probes at once
 * and reports that first result instead of `starting`, so a healthy replica stays healthy throughout.
 */
import type { HealthCheckerApi, HealthCheckerOptions, HealthClock, HealthSnapshot, ProbeResult } from './api.js';
import { isTscError } from '../errors.js';
import { goDuration } from './config.js';
import { HealthState, truncateOutput } from './state.js';
import { pauseToken, probesPaused } from './paused.js';

export const realClock: HealthClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Past its first probe by this much, a container is one a new supervisor adopted, not one it just started. */
const ADOPTED_AFTER_MS = 5000;

export class HealthChecker implements HealthCheckerApi {
  private readonly clock: HealthClock;
  private readonly state: HealthState;
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  /** A status has been reported (the first report is made whatever the status). */
  private announced = false;
  private readonly startedAt: number;

  constructor(private readonly opts: HealthCheckerOptions) {
    this.clock = opts.clock ?? realClock;
    this.startedAt = opts.startedAt ?? this.clock.now();
    this.state = new HealthState(opts.probe, this.startedAt);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.clock.now() < this.startedAt + this.opts.probe.intervalMs + ADOPTED_AFTER_MS) {
      this.emit('', undefined);
      this.schedule();
      return;
    }
    // Adopted by a new supervisor: the container's first probe is long due. Probe now and report that
    // result, with no `starting` before it that would take a healthy replica out of the LB rotation.
    this.inFlight = this.probeOnce().then(
      () => this.afterProbe(),
      () => this.afterProbe(),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  snapshot(): HealthSnapshot {
    return this.state.snapshot();
  }

  /** Run one probe now and record it (used by the schedule; exposed for tests and `up --wait` nudges). */
  async probeOnce(): Promise<ProbeResult> {
    const id = this.opts.containerId;
    const token = pauseToken(id);
    const result = await this.runProbe();
    // paused meanwhile: the probe hung in the frozen cgroup, its failure says nothing (Docker cancels it)
    const voided = probesPaused(id) || pauseToken(id) !== token;
    if (!this.stopped && !voided) {
      const t = this.state.record(result);
      if (t.changed || !this.announced) this.emit(result.output, result.exitCode);
    }
    return result;
  }

  private afterProbe(): void {
    this.inFlight = undefined;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.state.nextDelay(this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      if (probesPaused(this.opts.containerId)) {
        this.schedule(); // paused: no probe, the status stays as it was (Docker)
        return;
      }
      this.inFlight = this.probeOnce().then(
        () => this.afterProbe(),
        () => this.afterProbe(),
      );
    }, delay);
  }

  private async runProbe(): Promise<ProbeResult> {
    const { argv, timeoutMs } = this.opts.probe;
    const start = this.clock.now();
    let handle: unknown;
    const timedOut = new Promise<'timeout'>((resolve) => {
      handle = this.clock.setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const r = await Promise.race([this.opts.exec(argv, timeoutMs), timedOut]);
      const end = this.clock.now();
      if (r === 'timeout') {
        return { exitCode: -1, output: `Health check exceeded timeout (${goDuration(timeoutMs)})`, start, end };
      }
      return { exitCode: r.exitCode, output: r.stdout + r.stderr, start, end };
    } catch (e) {
      // the runtime enforces the timeout too (TIMEOUT): report it as Docker does
      const output = isTscError(e) && e.code === 'TIMEOUT' ? `Health check exceeded timeout (${goDuration(timeoutMs)})` : e instanceof Error ? e.message : String(e);
      return { exitCode: -1, output, start, end: this.clock.now() };
    } finally {
      this.clock.clearTimeout(handle);
    }
  }

  private emit(output: string, exitCode: number | undefined): void {
    if (this.stopped) return;
    this.announced = true;
    const snap = this.state;
    try {
      this.opts.onEvent({
        containerId: this.opts.containerId,
        service: this.opts.service,
        status: snap.status,
        output: truncateOutput(output),
        ...(exitCode === undefined ? {} : { exitCode }),
        failingStreak: snap.failingStreak,
      });
    } catch {
      // a listener's failure must not stop the probes
    }
  }
}
