/**
 * Foreground `up`'s log options (--attach, --no-attach, --attach-dependencies, --no-log-prefix, --timestamps)
 * and `up -V/--renew-anon-volumes`, through the real CLI, as Docker Compose documents them.
 */
import { describe, expect, it } from 'vitest';
import { stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('upattach');

// app prints and exits after a while (ending the foreground up), side and db print and keep running
const STACK = `services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "echo app-out; sleep 3; exit 0"]
    depends_on: [db]
  db:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db-up; while true; do sleep 1; done"]
  side:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo side-up; while true; do sleep 1; done"]
`;

describe('foreground up: which logs', () => {
  it('--attach streams only the named services', async () => {
    const p = env.project('att', STACK);
    const r = await env.run(p, ['up', '--abort-on-container-exit', '-t', '2', '--attach', 'app']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^app-1 +\| app-out$/m);
    expect(r.stdout).not.toContain('side-up');
    expect(r.stdout).not.toContain('db-up');
    await env.ok(p, ['down', '-t', '1']);
  }, 180_000);

  it('--no-attach leaves services out; --attach-dependencies adds the named services\' dependencies', async () => {
    const p = env.project('noatt', STACK);
    const r = await env.run(p, ['up', '--abort-on-container-exit', '-t', '2', '--no-attach', 'side']);
    expect(r.stdout).toMatch(/^app-1 +\| app-out$/m);
    expect(r.stdout).toMatch(/^db-1 +\| db-up$/m);
    expect(r.stdout).not.toContain('side-up');
    await env.ok(p, ['down', '-t', '1']);
    const d = await env.run(p, ['up', '--abort-on-container-exit', '-t', '2', '--attach-dependencies', 'app']);
    expect(d.stdout).toMatch(/^app-1 +\| app-out$/m);
    expect(d.stdout).toMatch(/^db-1 +\| db-up$/m);
    expect(d.stdout).not.toContain('side-up'); // not started at all: not a dependency of app
    await env.ok(p, ['down', '-t', '1']);
  }, 180_000);

  it('--no-log-prefix and --timestamps shape the lines', async () => {
    const p = env.project('fmt', STACK);
    const r = await env.run(p, ['up', '--abort-on-container-exit', '-t', '2', '--attach', 'app', '--no-log-prefix']);
    expect(r.stdout).toMatch(/^app-out$/m);
    await env.ok(p, ['down', '-t', '1']);
    const t = await env.run(p, ['up', '--abort-on-container-exit', '-t', '2', '--attach', 'app', '--timestamps']);
    expect(t.stdout).toMatch(/^app-1 +\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z app-out$/m);
    await env.ok(p, ['down', '-t', '1']);
  }, 180_000);

  it('rejects --attach with -d and an unknown service', async () => {
    const p = env.project('bad', STACK);
    expect((await env.run(p, ['up', '-d', '--attach', 'app'])).status).toBe(2);
    const r = await env.run(p, ['up', '--attach', 'nosuch']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no such service: nosuch');
  }, 60_000);
});

describe('up -V / --renew-anon-volumes', () => {
  it('a recreated container gets fresh anonymous volumes with -V, its predecessor\'s without', async () => {
    const p = env.project('renew', `services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    volumes:
      - /anon
`);
    const read = async (): Promise<string> => (await env.ok(p, ['exec', '-T', 'app', 'sh', '-c', 'cat /anon/f 2>/dev/null || echo none'])).stdout;
    await env.ok(p, ['up', '-d', '--progress', 'quiet']);
    await env.ok(p, ['exec', '-T', 'app', 'sh', '-c', 'echo kept > /anon/f']);
    await env.ok(p, ['up', '-d', '--force-recreate', '--progress', 'quiet']);
    expect(await read()).toBe('kept\n');
    await env.ok(p, ['up', '-d', '--force-recreate', '-V', '--progress', 'quiet']);
    expect(await read()).toBe('none\n');
    await env.ok(p, ['exec', '-T', 'app', 'sh', '-c', 'echo again > /anon/f']);
    // nothing to recreate: -V alone keeps the running container and its volume (as Compose)
    await env.ok(p, ['up', '-d', '--renew-anon-volumes', '--progress', 'quiet']);
    expect(await read()).toBe('again\n');
    await env.ok(p, ['down', '-v', '-t', '1']);
  }, 180_000);
});
