import type { HealthClock } from '../../src/health/api.js';

/** A manual clock for the health checker: timers fire only when the test advances time. */
export class FakeClock implements HealthClock {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  pending(): number {
    return this.timers.size;
  }
  /** Advance to the next timer, fire it, and let promise callbacks run. */
  async step(): Promise<void> {
    const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
    if (!next) throw new Error('no timer pending');
    this.timers.delete(next[0]);
    this.t = Math.max(this.t, next[1].at);
    next[1].fn();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}
