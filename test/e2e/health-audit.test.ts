/**
 * Health checks as a Compose user sees them (issue 8): ps STATUS "(health: starting)" → "(healthy)" /
 * "(unhealthy)" and the Health field of `ps --format json`, health_status events, failures inside
 * start_period not counted, an unhealthy replica out of the load balancer's rotation and back when it
 * heals, and `restart: always` not restarting a container that is merely unhealthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO, StackEnv } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

let env: StackEnv;

beforeAll(async () => {
  env = new StackEnv('hlthaud');
  await env.importBusybox();
});

afterAll(async () => {
  await env?.cleanup();
});

/** GET / on the published port of 127.0.0.1: the replica's hostname (its page). */
async function get(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  return (await r.text()).trim();
}

const freePort = (): number => 20000 + (process.pid % 20000) + Math.floor(Math.random() * 5000);

describe('health checks (audit)', () => {
  it('ps and events show starting, healthy and unhealthy; start_period failures are not counted', async () => {
    const p = env.project('hs', `services:
  slow:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3; touch /tmp/ok; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ok"]
      interval: 300ms
      retries: 1
      start_period: 60s
      start_interval: 200ms
  bad:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 300ms
      retries: 2
`);
    // events of the project, recorded from before up
    const events = spawn(process.execPath, [join(REPO, 'bin/tscompose.js'), '-p', p.name, 'events', '--json'], { cwd: p.dir, env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let evOut = '';
    events.stdout.on('data', (d: Buffer) => (evOut += d.toString()));
    try {
      await env.ok(p, ['up', '-d']);
      const first = await env.psJson(p);
      // slow fails every probe for 3 s, inside its 60 s start period: never unhealthy with retries 1
      expect(first.find((c) => c.Service === 'slow')?.Health).toMatch(/^(starting|healthy)$/);
      await eventually(async () => (await env.psJson(p)).find((c) => c.Service === 'bad')?.Health === 'unhealthy', { what: 'bad unhealthy', timeoutMs: 60_000 });
      await eventually(async () => (await env.psJson(p)).find((c) => c.Service === 'slow')?.Health === 'healthy', { what: 'slow healthy', timeoutMs: 60_000 });
      const table = (await env.ok(p, ['ps'])).stdout;
      expect(table).toMatch(new RegExp(`${p.name}-slow-1 .*Up [^\\n]*\\(healthy\\)`));
      expect(table).toMatch(new RegExp(`${p.name}-bad-1 .*Up [^\\n]*\\(unhealthy\\)`));
      const ps = await env.psJson(p);
      expect(ps.find((c) => c.Service === 'bad')?.Status).toMatch(/^Up .*\(unhealthy\)$/);
      await eventually(() => evOut.includes('health_status: healthy') && evOut.includes('health_status: unhealthy'), { what: 'health_status events', timeoutMs: 30_000 });
      const evs = evOut.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; service: string });
      expect(evs.some((e) => e.service === 'slow' && e.action === 'health_status: healthy')).toBe(true);
      expect(evs.some((e) => e.service === 'bad' && e.action === 'health_status: unhealthy')).toBe(true);
      // slow never went unhealthy: its failures fell inside start_period
      expect(evs.some((e) => e.service === 'slow' && e.action === 'health_status: unhealthy')).toBe(false);
    } finally {
      events.kill('SIGTERM');
    }
  });

  it('up --wait --wait-timeout gives up on a service still starting, naming it', async () => {
    const p = env.project('hw', `services:
  slow:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 500ms
      start_period: 300s
`);
    const r = await env.run(p, ['up', '-d', '--wait', '--wait-timeout', '2']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${p.name}-slow-1`);
    expect((await env.psJson(p))[0]?.Health).toBe('starting');
  });

  it('a supervisor SIGKILL keeps healthy replicas healthy and in rotation (the new supervisor re-probes at once)', async () => {
    const port = freePort();
    const p = env.project('hk', `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 80 -h /w"]
    ports: ["127.0.0.1:${port}:80"]
    deploy:
      replicas: 2
    healthcheck:
      test: ["CMD-SHELL", "true"]
      interval: 10s
      start_period: 2s
      start_interval: 200ms
`);
    await env.ok(p, ['up', '-d', '--wait']);
    // older than interval + 5 s: what a new supervisor treats as adopted, not just started
    const started = Date.now();
    await eventually(() => Date.now() - started > 17_000, { what: 'replicas a while up', timeoutMs: 30_000, intervalMs: 500 });
    const sup = env.supervisorPid(p.name);
    expect(sup).toBeGreaterThan(0);
    process.kill(sup as number, 'SIGKILL'); // the project's supervisor, started by this test's up
    await env.ok(p, ['up', '-d']);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      seen.push(...(await env.psJson(p)).map((c) => c.Health));
      expect((await get(port)).length).toBeGreaterThan(0); // answered: still in rotation
    }
    expect(seen).not.toContain('starting');
    expect(seen).not.toContain('unhealthy');
    await eventually(async () => (await env.psJson(p)).every((c) => c.Health === 'healthy'), { what: 'healthy after adoption' });
  });

  it('an unhealthy replica leaves the LB rotation and is not restarted by restart: always; it rejoins when healthy', async () => {
    const port = freePort();
    const p = env.project('hl', `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 80 -h /w"]
    restart: always
    ports: ["127.0.0.1:${port}:80"]
    deploy:
      replicas: 2
    healthcheck:
      test: ["CMD-SHELL", "test ! -f /tmp/sick"]
      interval: 300ms
      retries: 1
`);
    await env.ok(p, ['up', '-d', '--wait']);
    const before = await env.psJson(p);
    expect(before.map((c) => c.Health)).toEqual(['healthy', 'healthy']);
    const sickHost = (await env.ok(p, ['exec', '-T', '--index', '2', 'web', 'hostname'])).stdout.trim();
    const seen = new Set<string>();
    await eventually(async () => {
      seen.add(await get(port));
      return seen.size === 2;
    }, { what: 'both replicas answer', timeoutMs: 30_000 });

    await env.ok(p, ['exec', '-T', '--index', '2', 'web', 'touch', '/tmp/sick']);
    await eventually(async () => (await env.psJson(p)).find((c) => c.Number === 2)?.Health === 'unhealthy', { what: 'replica 2 unhealthy', timeoutMs: 30_000 });
    // out of rotation: 20 requests in a row all reach replica 1
    await eventually(async () => {
      for (let i = 0; i < 20; i++) if ((await get(port)) === sickHost) return false;
      return true;
    }, { what: 'no request reaches the unhealthy replica', timeoutMs: 30_000 });
    // still the same container, running: unhealthy is not a reason to restart under restart: always
    const sick = (await env.psJson(p)).find((c) => c.Number === 2);
    expect(sick?.ID).toBe(before.find((c) => c.Number === 2)?.ID);
    expect(sick?.State).toBe('running');

    await env.ok(p, ['exec', '-T', '--index', '2', 'web', 'rm', '/tmp/sick']);
    await eventually(async () => (await env.psJson(p)).find((c) => c.Number === 2)?.Health === 'healthy', { what: 'replica 2 healthy again', timeoutMs: 30_000 });
    await eventually(async () => {
      for (let i = 0; i < 10; i++) if ((await get(port)) === sickHost) return true;
      return false;
    }, { what: 'the healed replica is back in rotation', timeoutMs: 30_000 });
  });
});
