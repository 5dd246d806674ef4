import { describe, expect, it } from 'vitest';
import { HealthChecker } from '../../src/health/checker.js';
import type { HealthEvent, ProbeConfig } from '../../src/health/api.js';
import { FakeClock } from '../helpers/fake-clock.js';

const probe = (o: Partial<ProbeConfig> = {}): ProbeConfig => ({
  argv: ['/bin/sh', '-c', 'check'],
  intervalMs: 1000,
  timeoutMs: 300,
  retries: 2,
  startPeriodMs: 0,
  startIntervalMs: 100,
  ...o,
});

function setup(results: Array<number | 'hang' | 'throw'>, o: Partial<ProbeConfig> = {}) {
  const clock = new FakeClock();
  const events: HealthEvent[] = [];
  const calls: Array<{ argv: string[]; timeoutMs: number; at: number }> = [];
  const hc = new HealthChecker({
    containerId: 'c1',
    service: 'web',
    probe: probe(o),
    startedAt: 0,
    clock,
    onEvent: (e) => events.push(e),
    exec: async (argv, timeoutMs) => {
      calls.push({ argv, timeoutMs, at: clock.now() });
      const r = results.shift() ?? 0;
      if (r === 'hang') return new Promise(() => undefined);
      if (r === 'throw') throw new Error('container is not running');
      return { exitCode: r, stdout: `out${calls.length}`, stderr: r === 0 ? '' : ' err' };
    },
  });
  return { clock, events, calls, hc };
}

describe('HealthChecker', () => {
  it('emits starting, probes one interval later, and reports healthy with the output', async () => {
    const { clock, events, calls, hc } = setup([0, 0]);
    hc.start();
    expect(events).toEqual([{ containerId: 'c1', service: 'web', status: 'starting', output: '', failingStreak: 0 }]);
    expect(calls).toHaveLength(0);
    await clock.step();
    expect(calls[0]).toEqual({ argv: ['/bin/sh', '-c', 'check'], timeoutMs: 300, at: 1000 });
    expect(events[1]).toEqual({ containerId: 'c1', service: 'web', status: 'healthy', output: 'out1', exitCode: 0, failingStreak: 0 });
    await clock.step(); // the timeout timer of probe 1 was cleared; this is probe 2
    expect(calls[1]?.at).toBe(2000);
    expect(events).toHaveLength(2); // no event without a status change
    await hc.stop();
  });

  it('goes unhealthy after retries failures and reports the last output', async () => {
    const { clock, events, hc } = setup([1, 1]);
    hc.start();
    await clock.step();
    expect(events.map((e) => e.status)).toEqual(['starting']);
    await clock.step();
    expect(events[1]).toMatchObject({ status: 'unhealthy', output: 'out2 err', exitCode: 1, failingStreak: 2 });
    await hc.stop();
  });

  it('a probe that hangs times out as exit -1 with Docker\'s message', async () => {
    const { clock, events, hc } = setup(['hang', 'hang'], { retries: 2, timeoutMs: 1500 });
    hc.start();
    await clock.step(); // probe 1 starts
    await clock.step(); // its timeout fires
    expect(hc.snapshot().log[0]).toMatchObject({ exitCode: -1, output: 'Health check exceeded timeout (1.5s)', start: 1000, end: 2500 });
    await clock.step();
    await clock.step();
    expect(events.at(-1)).toMatchObject({ status: 'unhealthy', exitCode: -1, failingStreak: 2 });
    await hc.stop();
  });

  it('an exec error counts as a failure with its message', async () => {
    const { clock, hc } = setup(['throw']);
    hc.start();
    await clock.step();
    expect(hc.snapshot()).toMatchObject({ status: 'starting', failingStreak: 1 });
    expect(hc.snapshot().log[0]).toMatchObject({ exitCode: -1, output: 'container is not running' });
    await hc.stop();
  });

  it('probes at start_interval during the start period, then at interval', async () => {
    const { clock, calls, hc } = setup([1, 1, 1, 1, 1], { startPeriodMs: 250, startIntervalMs: 100, intervalMs: 1000, retries: 10 });
    hc.start();
    for (let i = 0; i < 4; i++) {
      await clock.step();
      while (calls.length <= i) await clock.step();
    }
    expect(calls.map((c) => c.at)).toEqual([100, 200, 300, 1300]);
    expect(hc.snapshot().failingStreak).toBe(2); // probes at 100 and 200 were inside the start period
    await hc.stop();
  });

  it('stops cleanly: no more probes or events, no timers left', async () => {
    const { clock, events, calls, hc } = setup([0, 1, 1, 1]);
    hc.start();
    await clock.step();
    const n = events.length;
    await hc.stop();
    expect(clock.pending()).toBe(0);
    expect(calls).toHaveLength(1);
    expect(events).toHaveLength(n);
  });

  it('drops the result of a probe in flight at stop', async () => {
    const clock = new FakeClock();
    const events: HealthEvent[] = [];
    let release: (v: { exitCode: number; stdout: string; stderr: string }) => void = () => undefined;
    const hc = new HealthChecker({
      containerId: 'c', service: 's', probe: probe(), startedAt: 0, clock, onEvent: (e) => events.push(e),
      exec: () => new Promise((r) => { release = r; }),
    });
    hc.start();
    await clock.step();
    const stopping = hc.stop();
    release({ exitCode: 0, stdout: 'ok', stderr: '' });
    await stopping;
    expect(events.map((e) => e.status)).toEqual(['starting']);
    expect(clock.pending()).toBe(0);
  });
});

describe('HealthChecker adopting a running container', () => {
  it('probes at once and reports the result instead of starting when the first probe is long overdue', async () => {
    const clock = new FakeClock();
    clock.t = 120_000; // the container started two minutes before this checker (a new supervisor)
    const events: HealthEvent[] = [];
    let calls = 0;
    const hc = new HealthChecker({
      containerId: 'c1', service: 'web', probe: probe(), startedAt: 0, clock,
      onEvent: (e) => events.push(e),
      exec: async () => {
        calls++;
        return { exitCode: 0, stdout: '', stderr: '' };
      },
    });
    hc.start();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(calls).toBe(1);
    expect(events.map((e) => e.status)).toEqual(['healthy']);
    await clock.step(); // then the ordinary schedule: one interval later, no new event while healthy
    expect(calls).toBe(2);
    expect(events.map((e) => e.status)).toEqual(['healthy']);
    await hc.stop();
  });

  it('a container it just started still begins as starting', async () => {
    const clock = new FakeClock();
    clock.t = 50;
    const events: HealthEvent[] = [];
    const hc = new HealthChecker({
      containerId: 'c1', service: 'web', probe: probe(), startedAt: 0, clock,
      onEvent: (e) => events.push(e),
      exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    });
    hc.start();
    expect(events.map((e) => e.status)).toEqual(['starting']);
    await hc.stop();
  });
});
