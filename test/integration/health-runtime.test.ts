/**
 * Health checks against real containers: probes run inside the container through NativeRuntime.exec.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeRuntime } from '../../src/runtime/native-runtime.js';
import type { ContainerCreateRequest } from '../../src/runtime/api.js';
import type { Healthcheck, Service } from '../../src/spec/model.js';
import { healthCheckerFor } from '../../src/health/for-container.js';
import type { HealthChecker } from '../../src/health/checker.js';
import type { HealthEvent } from '../../src/health/api.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { makeImage, makeService, uniqueId } from '../helpers/runtime-fixtures.js';

let base: string;
let rt: NativeRuntime;
let rootfs: string;
const made: string[] = [];
const checkers: HealthChecker[] = [];

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), `tsc-health-rt-${process.pid}-`));
  rt = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run', 'runtime') });
  rootfs = busyboxRootfs();
});

afterEach(async () => {
  for (const c of checkers.splice(0)) await c.stop();
  for (const id of made.splice(0)) await rt.remove(id, { force: true }).catch(() => undefined);
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

const check = (o: Partial<Extract<Healthcheck, { kind: 'check' }>>): Healthcheck => ({
  kind: 'check', intervalMs: 200, timeoutMs: 5000, retries: 2, startPeriodMs: 0, startIntervalMs: 100, ...o,
});

async function startWithHealth(spec: Partial<Service>, imageHealth?: { test: string[]; intervalNs?: number; retries?: number }) {
  const id = uniqueId('hc');
  made.push(id);
  const svc = makeService({ command: ['sleep', '600'], ...spec });
  const image = makeImage([rootfs], imageHealth ? { healthcheck: imageHealth } : {});
  const req: ContainerCreateRequest = { id, name: `hc-${id}`, project: 'hc', service: svc.name, number: 1, spec: svc, image, mounts: [], labels: {} };
  await rt.create(req);
  const info = await rt.start(id);
  const events: HealthEvent[] = [];
  const hc = healthCheckerFor({ runtime: rt, containerId: id, service: svc, image, ...(info.startedAt ? { startedAt: info.startedAt } : {}), onEvent: (e) => events.push(e) });
  if (hc) {
    checkers.push(hc);
    hc.start();
  }
  return { id, hc, events };
}

describe('health checks in real containers', () => {
  it('goes starting → healthy once the CMD-SHELL probe passes', async () => {
    const { id, hc, events } = await startWithHealth({ healthcheck: check({ test: { kind: 'shell', command: 'test -f /tmp/ready && echo ready' }, retries: 1000 }) });
    expect(hc).toBeDefined();
    expect(events[0]).toMatchObject({ containerId: id, status: 'starting' });
    await eventually(() => (hc?.snapshot().log.length ?? 0) >= 1, { what: 'a first probe' });
    expect(hc?.snapshot().status).toBe('starting'); // failures within retries keep it starting
    await rt.exec(id, { argv: ['touch', '/tmp/ready'] });
    const healthy = await eventually(() => events.find((e) => e.status === 'healthy'), { what: 'healthy event' });
    expect(healthy).toMatchObject({ containerId: id, service: 'web', status: 'healthy', exitCode: 0, output: 'ready\n', failingStreak: 0 });
  });

  it('goes unhealthy after `retries` failing CMD probes, with the last output', async () => {
    const { hc, events } = await startWithHealth({ healthcheck: check({ test: { kind: 'cmd', argv: ['sh', '-c', 'echo not-yet; exit 1'] }, retries: 3 }) });
    const bad = await eventually(() => events.find((e) => e.status === 'unhealthy'), { what: 'unhealthy event' });
    expect(bad).toMatchObject({ status: 'unhealthy', exitCode: 1, output: 'not-yet\n', failingStreak: 3 });
    expect(events.map((e) => e.status)).toEqual(['starting', 'unhealthy']);
    expect(hc?.snapshot().log.every((r) => r.exitCode === 1)).toBe(true);
  });

  it('uses the image healthcheck, and none when the service disables it', async () => {
    const img = { test: ['CMD', 'true'], intervalNs: 200e6, retries: 1 };
    const a = await startWithHealth({}, img);
    await eventually(() => a.events.find((e) => e.status === 'healthy'), { what: 'image healthcheck healthy' });
    const b = await startWithHealth({ healthcheck: { kind: 'none' } }, img);
    expect(b.hc).toBeUndefined();
  });

  it('a probe that outlives its timeout fails with Docker\'s message', async () => {
    const { events } = await startWithHealth({ healthcheck: check({ test: { kind: 'cmd', argv: ['sleep', '30'] }, timeoutMs: 300, retries: 1 }) });
    const bad = await eventually(() => events.find((e) => e.status === 'unhealthy'), { what: 'unhealthy after timeout' });
    expect(bad).toMatchObject({ exitCode: -1, output: 'Health check exceeded timeout (300ms)' });
  });
});
