/**
 * `up` walks the dependency graph per service, as Compose does: a service starts as soon as its own
 * dependencies are up (started, healthy, completed), not when every service of the level before it is.
 * Here `front` depends only on `worker`; `api` waits for `db` to become healthy (seconds). `front` must
 * not wait for `db`, and `api` must still start only after `db` is healthy.
 */
import { describe, expect, it } from 'vitest';
import { stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('depgraph');

// each PID 1 stamps /proc/uptime (the host's clock: no time namespace) when it starts and when it is ready
const tier = (ready: number): string =>
  `["sh", "-c", "trap 'exit 0' TERM; sed 's/ .*//' /proc/uptime > /tmp/started; sleep ${ready}; sed 's/ .*//' /proc/uptime > /tmp/ready; while true; do sleep 1; done"]`;

describe('depends_on order per service', () => {
  it('a service whose dependencies are up starts without waiting for unrelated slower ones', async () => {
    const p = env.project('dg', `services:
  db:
    image: busybox:latest
    command: ${tier(4)}
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 200ms
      retries: 200
  api:
    image: busybox:latest
    command: ${tier(0)}
    depends_on:
      db:
        condition: service_healthy
  worker:
    image: busybox:latest
    command: ${tier(0)}
  front:
    image: busybox:latest
    command: ${tier(0)}
    depends_on: [worker]
`);
    await env.ok(p, ['up', '-d']);
    const stamp = async (svc: string, f: string): Promise<number> => Number((await env.ok(p, ['exec', '-T', svc, 'cat', `/tmp/${f}`])).stdout.trim());
    const dbReady = await stamp('db', 'ready');
    expect(await stamp('api', 'started')).toBeGreaterThanOrEqual(dbReady);
    expect(await stamp('front', 'started')).toBeGreaterThanOrEqual(await stamp('worker', 'started'));
    // front and api share a start level (both depend on a service of the first): front did not wait for db
    expect(await stamp('front', 'started')).toBeLessThan(dbReady);
    expect((await env.psJson(p)).filter((c) => c.State === 'running').map((c) => c.Service).sort()).toEqual(['api', 'db', 'front', 'worker']);
    await env.ok(p, ['down', '-t', '2']);
  });
});
