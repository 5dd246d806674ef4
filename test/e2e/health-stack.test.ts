/**
 * Health checks through the CLI: a service that depends on `service_healthy` starts only once its
 * dependency's healthcheck passes, and `ps` shows the health status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackEnv } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

let env: StackEnv;

beforeAll(async () => {
  env = new StackEnv('hlthstk');
  await env.importBusybox();
});

afterAll(async () => {
  await env?.cleanup();
});

describe('health checks in a stack', () => {
  it('the front starts only after the back is healthy; ps shows healthy', async () => {
    const p = env.project('hl', `services:
  back:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2; sed 's/ .*//' /proc/uptime > /tmp/ready; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 300ms
      retries: 100
  front:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sed 's/ .*//' /proc/uptime > /tmp/started; while true; do sleep 1; done"]
    depends_on:
      back:
        condition: service_healthy
`);
    await env.ok(p, ['up', '-d', '--wait']);
    const ps = await env.psJson(p);
    const back = ps.find((c) => c.Service === 'back');
    const front = ps.find((c) => c.Service === 'front');
    expect(back?.Health).toBe('healthy');
    expect(front?.State).toBe('running');
    // the back was ready (file written) before the front's PID 1 started
    const ready = (await env.ok(p, ['exec', '-T', 'back', 'cat', '/tmp/ready'])).stdout.trim();
    const started = await eventually(async () => (await env.ok(p, ['exec', '-T', 'front', 'cat', '/tmp/started'])).stdout.trim(), { what: 'front start time' });
    // /proc/uptime is the host's (no time namespace): both stamps are on one clock
    expect(Number(started)).toBeGreaterThanOrEqual(Number(ready));
    await eventually(async () => (await env.ok(p, ['ps'])).stdout.includes('(healthy)'), { what: 'ps shows (healthy)' });
  });

  it('a dependency that never gets healthy fails up --wait with the reason', async () => {
    const p = env.project('hf', `services:
  back:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo back-is-booting; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 200ms
      retries: 2
  front:
    image: busybox:latest
    command: ["sleep", "600"]
    depends_on:
      back:
        condition: service_healthy
`);
    const r = await env.run(p, ['up', '-d', '--wait']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unhealthy/);
    // the reason comes with the failing service's last log lines
    expect(r.stderr).toMatch(/back-1 +\| back-is-booting/);
  });
});
