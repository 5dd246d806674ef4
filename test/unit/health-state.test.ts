import { describe, expect, it } from 'vitest';
import { HealthState, truncateOutput, MAX_LOG_ENTRIES } from '../../src/health/state.js';
import type { ProbeConfig, ProbeResult } from '../../src/health/api.js';

const cfg = (o: Partial<ProbeConfig> = {}): ProbeConfig => ({
  argv: ['true'],
  intervalMs: 1000,
  timeoutMs: 500,
  retries: 3,
  startPeriodMs: 0,
  startIntervalMs: 100,
  ...o,
});
const res = (exitCode: number, start: number, output = ''): ProbeResult => ({ exitCode, output, start, end: start + 1 });

describe('HealthState', () => {
  it('starts as starting with no failures', () => {
    const s = new HealthState(cfg(), 0);
    expect(s.status).toBe('starting');
    expect(s.failingStreak).toBe(0);
  });

  it('becomes healthy on the first success', () => {
    const s = new HealthState(cfg(), 0);
    const t = s.record(res(0, 1000, 'ok'));
    expect(t).toEqual({ from: 'starting', to: 'healthy', changed: true, failingStreak: 0 });
    expect(s.snapshot().log.at(-1)?.output).toBe('ok');
  });

  it('becomes unhealthy only when the failing streak reaches retries', () => {
    const s = new HealthState(cfg({ retries: 3 }), 0);
    expect(s.record(res(1, 1000)).to).toBe('starting');
    expect(s.record(res(1, 2000)).to).toBe('starting');
    expect(s.failingStreak).toBe(2);
    const t = s.record(res(1, 3000));
    expect(t).toMatchObject({ from: 'starting', to: 'unhealthy', changed: true, failingStreak: 3 });
    expect(s.record(res(1, 4000)).changed).toBe(false);
    expect(s.failingStreak).toBe(4);
  });

  it('a healthy container stays healthy until retries failures in a row', () => {
    const s = new HealthState(cfg({ retries: 2 }), 0);
    s.record(res(0, 1000));
    expect(s.record(res(1, 2000)).to).toBe('healthy');
    expect(s.record(res(0, 3000)).failingStreak).toBe(0);
    expect(s.record(res(1, 4000)).to).toBe('healthy');
    expect(s.record(res(1, 5000)).to).toBe('unhealthy');
    expect(s.record(res(0, 6000))).toMatchObject({ from: 'unhealthy', to: 'healthy', changed: true, failingStreak: 0 });
  });

  it('any non-zero code, and -1 for a timeout, is a failure', () => {
    const s = new HealthState(cfg({ retries: 2 }), 0);
    s.record(res(2, 1000));
    expect(s.record(res(-1, 2000, 'Health check exceeded timeout (1s)')).to).toBe('unhealthy');
  });

  it('failures inside the start period do not count while starting', () => {
    const s = new HealthState(cfg({ retries: 1, startPeriodMs: 5000 }), 10_000);
    expect(s.record(res(1, 11_000)).to).toBe('starting');
    expect(s.record(res(1, 14_999)).failingStreak).toBe(0);
    expect(s.record(res(1, 15_000))).toMatchObject({ to: 'unhealthy', failingStreak: 1 });
  });

  it('failures inside the start period count once the container was healthy', () => {
    const s = new HealthState(cfg({ retries: 1, startPeriodMs: 60_000 }), 0);
    s.record(res(0, 1000));
    expect(s.record(res(1, 2000))).toMatchObject({ to: 'unhealthy', failingStreak: 1 });
  });

  it('uses start_interval only inside the start period while starting', () => {
    const s = new HealthState(cfg({ intervalMs: 1000, startIntervalMs: 100, startPeriodMs: 5000 }), 0);
    expect(s.nextDelay(0)).toBe(100);
    expect(s.nextDelay(4999)).toBe(100);
    expect(s.nextDelay(5000)).toBe(1000);
    s.record(res(0, 200));
    expect(s.nextDelay(300)).toBe(1000);
    const noPeriod = new HealthState(cfg({ startPeriodMs: 0 }), 0);
    expect(noPeriod.nextDelay(0)).toBe(1000);
  });

  it('keeps the last five results', () => {
    const s = new HealthState(cfg({ retries: 100 }), 0);
    for (let i = 0; i < 8; i++) s.record(res(1, i * 1000, `r${i}`));
    const log = s.snapshot().log;
    expect(log).toHaveLength(MAX_LOG_ENTRIES);
    expect(log.map((r) => r.output)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
  });

  it('truncates output to 4096 bytes without splitting characters', () => {
    expect(truncateOutput('a'.repeat(5000))).toHaveLength(4096);
    const euro = '€'.repeat(2000); // 3 bytes each
    const t = truncateOutput(euro);
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(4096);
    expect(t).toBe('€'.repeat(1365));
    expect(truncateOutput('short')).toBe('short');
  });
});
