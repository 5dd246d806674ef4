/**
 * One busybox stack through the real CLI, verb by verb: up, idempotent up, logs, exec, top, a config change
 * that recreates only its service, scale, stop/start, restart, kill, and down leaving nothing behind.
 * Tests in this file run in order on one project (each states one intent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { REPO, StackEnv, leaksOf } from '../helpers/stack.js';

const env = new StackEnv('life');
const stack = (workerGreeting: string): string => `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-started; httpd -f -p 80 -h /var/www & wait"]
  worker:
    image: busybox:latest
    depends_on: [web]
    environment:
      GREETING: ${workerGreeting}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo \\"$$GREETING tick\\"; sleep 0.3; done"]
`;
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('life', stack('hello'));
});
afterAll(async () => {
  await env.cleanup();
});

const byName = async (): Promise<Map<string, { ID: string; State: string; ExitCode: number; Labels?: Record<string, string> }>> =>
  new Map((await env.psJson(p)).map((r) => [r.Name, r]));

describe('stack lifecycle through the CLI', () => {
  it('up -d creates PROJECT-SERVICE-N containers with Compose labels, all running', async () => {
    await env.ok(p, ['up', '-d']);
    const rows = (await env.psJson(p)) as unknown as { Name: string; State: string; Labels: Record<string, string> }[];
    expect(rows.map((r) => r.Name).sort()).toEqual([`${p.name}-web-1`, `${p.name}-worker-1`]);
    for (const r of rows) {
      expect(r.State).toBe('running');
      expect(r.Labels['com.docker.compose.project']).toBe(p.name);
      expect(r.Labels['com.docker.compose.container-number']).toBe('1');
      expect(r.Labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(rows.find((r) => r.Name.endsWith('worker-1'))?.Labels['com.docker.compose.service']).toBe('worker');
    // the supervisor's control socket is root's only
    expect(statSync(join(env.runDir, 'supervisor', `${p.name}.sock`)).mode & 0o777).toBe(0o600);
  });

  it('a second up changes nothing and says so', async () => {
    const before = await byName();
    const r = await env.ok(p, ['up', '-d']);
    expect(r.stderr).toMatch(/up to date/);
    expect(r.stderr).not.toMatch(/Creat|Recreat|Start/);
    const after = await byName();
    expect([...after.entries()].map(([n, c]) => [n, c.ID])).toEqual([...before.entries()].map(([n, c]) => [n, c.ID]));
  });

  it('logs shows each container\'s output with a service-N prefix, and honours --tail and --no-log-prefix', async () => {
    const out = await eventually(async () => {
      const r = await env.ok(p, ['logs']);
      return r.stdout.includes('worker-1  | hello tick') && r.stdout.includes('web-started') ? r.stdout : undefined;
    }, { what: 'logs of both services', timeoutMs: 30_000 });
    expect(out).toMatch(/^web-1 +\| web-started$/m);
    const tail = await env.ok(p, ['logs', '--tail', '1', '--no-log-prefix', 'worker']);
    expect(tail.stdout.trim().split('\n')).toEqual(['hello tick']);
  });

  it('exec runs a command in the container and returns its exit status', async () => {
    const r = await env.ok(p, ['exec', '-T', 'worker', 'sh', '-c', 'echo "in $HOSTNAME:$GREETING"']);
    expect(r.stdout).toContain(':hello');
    const bad = await env.run(p, ['exec', 'web', 'sh', '-c', 'exit 3']);
    expect(bad.status).toBe(3);
  });

  it('top lists the processes of each container', async () => {
    const r = await env.ok(p, ['top']);
    expect(r.stdout).toContain(`${p.name}-web-1`);
    expect(r.stdout).toMatch(/httpd -f -p 80/);
  });

  it('a config change recreates only that service', async () => {
    const before = await byName();
    env.writeCompose(p.dir, stack('changed'));
    const r = await env.ok(p, ['up', '-d']);
    expect(r.stderr).toMatch(/worker-1 +Recreate/);
    const after = await byName();
    expect(after.get(`${p.name}-web-1`)?.ID).toBe(before.get(`${p.name}-web-1`)?.ID);
    expect(after.get(`${p.name}-worker-1`)?.ID).not.toBe(before.get(`${p.name}-worker-1`)?.ID);
    expect(after.get(`${p.name}-worker-1`)?.State).toBe('running');
  });

  it('--force-recreate of a named service leaves its dependencies; --always-recreate-deps takes them too', async () => {
    const ids = async (): Promise<[string | undefined, string | undefined]> => {
      const m = await byName();
      return [m.get(`${p.name}-web-1`)?.ID, m.get(`${p.name}-worker-1`)?.ID];
    };
    const [web0, worker0] = await ids();
    await env.ok(p, ['up', '-d', '--force-recreate', 'worker']);
    const [web1, worker1] = await ids();
    expect(web1).toBe(web0); // worker depends on web: web is brought along, not recreated (as Compose)
    expect(worker1).not.toBe(worker0);
    await env.ok(p, ['up', '-d', '--always-recreate-deps', 'worker']);
    const [web2, worker2] = await ids();
    expect(web2).not.toBe(web1);
    expect(worker2).toBe(worker1); // unchanged and not forced: its dependency's recreate takes no dependent along
    const bad = await env.run(p, ['up', '-d', '--always-recreate-deps', '--no-recreate']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--always-recreate-deps and --no-recreate are incompatible');
  });

  it('scale adds and removes replicas by number', async () => {
    await env.ok(p, ['scale', 'worker=3']);
    let rows = await env.psJson(p);
    expect(rows.filter((r) => r.Service === 'worker' && r.State === 'running').map((r) => r.Name).sort()).toEqual(
      [1, 2, 3].map((n) => `${p.name}-worker-${n}`),
    );
    await env.ok(p, ['scale', 'worker=1']);
    rows = await env.psJson(p);
    expect(rows.filter((r) => r.Service === 'worker').map((r) => r.Name)).toEqual([`${p.name}-worker-1`]);
  });

  it('stop leaves containers exited (not restarted), start brings them back', async () => {
    await env.ok(p, ['stop', '-t', '5']);
    let rows = await env.psJson(p);
    expect(rows.map((r) => r.State)).toEqual(['exited', 'exited']);
    expect((await env.psJson(p, false)).length).toBe(0);
    // the supervisor's resync runs every few seconds: still stopped after it had the chance to act
    await new Promise((r) => setTimeout(r, 6000));
    rows = await env.psJson(p);
    expect(rows.map((r) => r.State)).toEqual(['exited', 'exited']);
    await env.ok(p, ['start']);
    rows = await env.psJson(p);
    expect(rows.map((r) => r.State)).toEqual(['running', 'running']);
  });

  it('restart gives a service a fresh container', async () => {
    const before = await byName();
    await env.ok(p, ['restart', 'worker']);
    const after = await byName();
    expect(after.get(`${p.name}-worker-1`)?.ID).not.toBe(before.get(`${p.name}-worker-1`)?.ID);
    expect(after.get(`${p.name}-worker-1`)?.State).toBe('running');
    expect(after.get(`${p.name}-web-1`)?.ID).toBe(before.get(`${p.name}-web-1`)?.ID);
  });

  it('kill -s SIGKILL ends the container with 137 and it is not restarted', async () => {
    await env.ok(p, ['kill', '-s', 'SIGKILL', 'worker']);
    const row = await eventually(async () => {
      const r = (await byName()).get(`${p.name}-worker-1`);
      return r?.State === 'exited' ? r : undefined;
    }, { what: 'worker exited' });
    expect(row.ExitCode).toBe(137);
  });

  it('up in the foreground streams prefixed logs and Ctrl-C stops the stack gracefully', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/tscompose.js'), '-p', p.name, 'up'], { cwd: p.dir, env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    try {
      await eventually(() => /^worker-1 +\| changed tick$/m.test(out), { what: 'foreground logs', timeoutMs: 60_000 });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    const rows = await env.psJson(p);
    expect(rows.map((r) => r.State)).toEqual(['exited', 'exited']);
  });

  it('down removes every container, mount, cgroup, netns, process and state of the project', async () => {
    await env.ok(p, ['down', '-t', '5']);
    expect((await env.psJson(p)).length).toBe(0);
    await eventually(() => {
      const l = leaksOf(env, p.name);
      if (l.length) throw new Error(l.join('\n'));
      return true;
    }, { what: 'nothing left', timeoutMs: 30_000 });
  });
});
