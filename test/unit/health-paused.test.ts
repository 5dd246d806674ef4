/** A paused container's health checker (Docker stops the monitor on pause): no probes, status kept, a probe in flight at the pause is void. */
import { describe, expect, it } from 'vitest';
import { HealthChecker } from '../../src/health/checker.js';
import { markProbesPaused } from '../../src/health/paused.js';
import type { HealthEvent } from '../../src/health/api.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(id: string, exit: () => number | Promise<number>) {
  const clock = new FakeClock();
  const events: HealthEvent[] = [];
  let calls = 0;
  const hc = new HealthChecker({
    containerId: id, service: 'web', startedAt: 0, clock, onEvent: (e) => events.push(e),
    probe: { argv: ['true'], intervalMs: 1000, timeoutMs: 5000, retries: 1, startPeriodMs: 0, startIntervalMs: 100 },
    exec: async () => {
      calls++;
      return { exitCode: await exit(), stdout: '', stderr: '' };
    },
  });
  return { clock, events, hc, calls: () => calls };
}

describe('health checks and pause', () => {
  it('skip probes while paused and keep the status; resume on unpause', async () => {
    const id = `paused-${Math.random()}`;
    let code = 0;
    const s = setup(id, () => code);
    s.hc.start();
    await s.clock.step();
    expect(s.hc.snapshot().status).toBe('healthy');
    markProbesPaused(id, true);
    code = 1; // a probe now would fail (retries 1: unhealthy at once)
    for (let i = 0; i < 5; i++) await s.clock.step();
    expect(s.calls()).toBe(1);
    expect(s.hc.snapshot().status).toBe('healthy');
    markProbesPaused(id, false);
    await s.clock.step();
    expect(s.calls()).toBe(2);
    expect(s.hc.snapshot().status).toBe('unhealthy');
    await s.hc.stop();
  });

  it('drop the result of a probe that was running when the container was paused', async () => {
    const id = `inflight-${Math.random()}`;
    let release: (n: number) => void = () => undefined;
    const s = setup(id, () => new Promise<number>((r) => (release = r)));
    s.hc.start();
    await s.clock.step(); // the first probe starts and hangs
    markProbesPaused(id, true);
    release(1);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(s.events.filter((e) => e.status === 'unhealthy')).toEqual([]);
    markProbesPaused(id, false);
    await s.hc.stop();
  });
});
