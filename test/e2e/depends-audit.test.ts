/**
 * depends_on as Compose documents it (issue 8): a failed required dependency fails `up` with the reason
 * and the failing service's last log lines, and the dependent is never started (not even later by the
 * supervisor); an optional (`required: false`) dependency that is missing or fails only warns; a
 * completed_successfully migration runs before its dependent; `restart: true` makes `restart X` restart
 * X's dependents too (and only those).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackEnv } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

let env: StackEnv;

beforeAll(async () => {
  env = new StackEnv('depaud');
  await env.importBusybox();
});

afterAll(async () => {
  await env?.cleanup();
});

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

describe('depends_on (audit)', () => {
  it('a 3-tier stack starts in health order: web after api healthy, api after db healthy; stops in reverse', async () => {
    // each tier stamps /proc/uptime (the host's clock: no time namespace) when its PID 1 starts and when ready
    const tier = (ready: string): string => `["sh", "-c", "trap 'exit 0' TERM; sed 's/ .*//' /proc/uptime > /tmp/started; sleep ${ready}; sed 's/ .*//' /proc/uptime > /tmp/ready; while true; do sleep 1; done"]`;
    const hc = `
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 200ms
      retries: 100`;
    const p = env.project('d3t', `services:
  db:
    image: busybox:latest
    command: ${tier('2')}${hc}
  api:
    image: busybox:latest
    command: ${tier('1')}${hc}
    depends_on:
      db:
        condition: service_healthy
  web:
    image: busybox:latest
    command: ${tier('0')}
    depends_on:
      api:
        condition: service_healthy
`);
    await env.ok(p, ['up', '-d', '--wait']);
    const stamp = async (svc: string, f: string): Promise<number> => Number((await env.ok(p, ['exec', '-T', svc, 'cat', `/tmp/${f}`])).stdout.trim());
    expect(await stamp('api', 'started')).toBeGreaterThanOrEqual(await stamp('db', 'ready'));
    expect(await stamp('web', 'started')).toBeGreaterThanOrEqual(await stamp('api', 'ready'));
    const health = Object.fromEntries((await env.psJson(p)).map((c) => [c.Service, c.Health]));
    expect(health).toMatchObject({ db: 'healthy', api: 'healthy' });
    // down stops dependents first: web's container is destroyed before api's, api's before db's
    const down = await env.ok(p, ['down', '-t', '2']);
    const out = down.stdout + down.stderr;
    const at = (svc: string): number => out.search(new RegExp(`${p.name}-${svc}-1\\s+Removed`));
    expect(at('web')).toBeGreaterThanOrEqual(0);
    expect(at('web')).toBeLessThan(at('api'));
    expect(at('api')).toBeLessThan(at('db'));
  });

  it('a failed migration fails up with its reason and logs; the dependent is never started', async () => {
    const p = env.project('df', `services:
  app:
    image: busybox:latest
    command: ${LOOP}
    depends_on:
      migrate:
        condition: service_completed_successfully
  migrate:
    image: busybox:latest
    command: ["sh", "-c", "echo applying-001; echo schema-broken >&2; exit 4"]
`);
    const r = await env.run(p, ['up', '-d']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('didn\'t complete successfully: exit 4');
    expect(r.stderr).toMatch(/migrate-1 +\| applying-001/);
    expect(r.stderr).toMatch(/migrate-1 +\| schema-broken/);
    // give the supervisor time for background passes: app must still not run
    await new Promise((res) => setTimeout(res, 2000));
    const ps = await env.psJson(p);
    expect(ps.find((c) => c.Service === 'app')?.State ?? 'absent').not.toBe('running');
    expect(ps.find((c) => c.Service === 'migrate')?.ExitCode).toBe(4);
  });

  it('a successful migration runs before its dependent; optional dependencies only warn', async () => {
    const p = env.project('do', `services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; cat /shared/migrated > /tmp/seen; while true; do sleep 1; done"]
    volumes: [shared:/shared]
    depends_on:
      migrate:
        condition: service_completed_successfully
      flaky:
        condition: service_completed_successfully
        required: false
      ghost:
        condition: service_started
        required: false
  migrate:
    image: busybox:latest
    command: ["sh", "-c", "echo yes > /shared/migrated"]
    volumes: [shared:/shared]
  flaky:
    image: busybox:latest
    command: ["sh", "-c", "exit 3"]
volumes:
  shared:
`);
    const r = await env.ok(p, ['up', '-d']);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/ghost/); // the missing optional dependency is named in a warning
    expect(out).toMatch(/flaky/);
    await eventually(async () => (await env.psJson(p)).find((c) => c.Service === 'app')?.State === 'running', { what: 'app running', timeoutMs: 60_000 });
    const seen = await eventually(async () => (await env.ok(p, ['exec', '-T', 'app', 'cat', '/tmp/seen'])).stdout, { what: 'app read the migration', timeoutMs: 30_000 });
    expect(seen).toBe('yes\n');
  });

  it('restart: true — restarting a dependency restarts its dependents that ask for it, not the others', async () => {
    const p = env.project('dr', `services:
  db:
    image: busybox:latest
    command: ${LOOP}
  api:
    image: busybox:latest
    command: ${LOOP}
    depends_on:
      db:
        condition: service_started
        restart: true
  batch:
    image: busybox:latest
    command: ${LOOP}
    depends_on: [db]
`);
    await env.ok(p, ['up', '-d']);
    const ids = async (): Promise<Record<string, string>> => Object.fromEntries((await env.psJson(p)).map((c) => [c.Service, c.ID]));
    const before = await ids();
    await env.ok(p, ['restart', 'db']);
    const after = await eventually(async () => {
      const x = await ids();
      return Object.keys(x).length === 3 ? x : undefined;
    }, { what: 'three containers listed' });
    expect(after.db).not.toBe(before.db);
    expect(after.api).not.toBe(before.api);
    expect(after.batch).toBe(before.batch);
    const ps = await env.psJson(p);
    expect(ps.every((c) => c.State === 'running')).toBe(true);
  });
});
