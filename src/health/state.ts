/**
 * The health state machine, pure: Docker's daemon/health.go semantics, driven by probe results and
 * clock values (ms) instead of timers.
 *
 * - A container with a healthcheck starts `starting`, failing streak 0.
 * - Exit code 0: streak 0, status `healthy`.
 * - Any other result (1, other codes, -1 for a timeout or a probe that could not run) is a failure.
 *   While the status is still `starting` and the probe began inside the start period
 *   (probe start − container start < start_period), the failure is not counted. Otherwise the streak
 *   grows, and when it reaches `retries` the status becomes `unhealthy`. A failure below that leaves the
 *   status as it was (starting or healthy).
 * - Schedule: the first probe runs one interval after the container started; after each probe the next
 *   waits `start_interval` while inside the start period and still `starting`, else `interval`.
 * - Docker keeps the last 5 results and truncates output to 4096 bytes.
 */
import type { HealthSnapshot, HealthStatus, ProbeConfig, ProbeResult } from './api.js';

export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT_BYTES = 4096;

export interface Transition {
  from: HealthStatus;
  to: HealthStatus;
  /** to !== from */
  changed: boolean;
  failingStreak: number;
}

export class HealthState {
  private statusValue: HealthStatus = 'starting';
  private streak = 0;
  private readonly results: ProbeResult[] = [];

  constructor(
    private readonly cfg: ProbeConfig,
    /** Clock ms at which the container's PID 1 started. */
    private readonly startedAt: number,
  ) {}

  get status(): HealthStatus {
    return this.statusValue;
  }

  get failingStreak(): number {
    return this.streak;
  }

  /** Whether `at` lies inside the start period. */
  inStartPeriod(at: number): boolean {
    return at - this.startedAt < this.cfg.startPeriodMs;
  }

  /** Delay before the next probe, decided at clock `now` (Docker's getInterval). */
  nextDelay(now: number): number {
    if (!this.inStartPeriod(now)) return this.cfg.intervalMs;
    return this.statusValue === 'starting' ? this.cfg.startIntervalMs : this.cfg.intervalMs;
  }

  record(result: ProbeResult): Transition {
    const from = this.statusValue;
    const r: ProbeResult = { ...result, output: truncateOutput(result.output) };
    this.results.push(r);
    if (this.results.length > MAX_LOG_ENTRIES) this.results.splice(0, this.results.length - MAX_LOG_ENTRIES);
    if (r.exitCode === 0) {
      this.streak = 0;
      this.statusValue = 'healthy';
    } else {
      const uncounted = this.statusValue === 'starting' && this.inStartPeriod(r.start);
      if (!uncounted) {
        this.streak += 1;
        if (this.streak >= this.cfg.retries) this.statusValue = 'unhealthy';
      }
    }
    return { from, to: this.statusValue, changed: from !== this.statusValue, failingStreak: this.streak };
  }

  snapshot(): HealthSnapshot {
    return { status: this.statusValue, failingStreak: this.streak, log: this.results.map((r) => ({ ...r })) };
  }
}

/** Cut to at most 4096 bytes of UTF-8 without splitting a character. */
export function truncateOutput(s: string): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= MAX_OUTPUT_BYTES) return s;
  let end = MAX_OUTPUT_BYTES;
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
