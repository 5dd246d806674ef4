/**
 * What a Docker Compose user reads from the CLI, checked against Compose's documented shapes on one busybox
 * stack: `ps --format json` as JSON Lines with docker ps fields, the ps table, `--status`/`--filter`,
 * a slot in restart back-off listed as Restarting, logs prefixes and streams, --index/--until, top's
 * ps -ef columns, events (json and text), the words of start/restart, --progress after the verb, and
 * "no such service" for every verb that takes SERVICE. Tests run in order on one project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { REPO, StackEnv } from '../helpers/stack.js';

const env = new StackEnv('cliout');
const STACK = `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-out; echo web-err >&2; while true; do sleep 1; done"]
  worker:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo worker-$$HOSTNAME; while true; do sleep 1; done"]
  once:
    image: busybox:latest
    command: ["sh", "-c", "echo once-done; exit 3"]
    restart: "no"
  crash:
    image: busybox:latest
    command: ["sh", "-c", "echo crashing; exit 1"]
    deploy:
      restart_policy: {condition: any, delay: 60s}
`;
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('cliout', STACK);
  await env.ok(p, ['up', '-d']);
});
afterAll(async () => {
  await env.cleanup();
});

const jsonLines = (s: string): Record<string, unknown>[] => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('Compose-shaped CLI output', () => {
  it('ps --format json prints one JSON object per container per line, with docker ps fields', async () => {
    const rows = await eventually(async () => {
      const r = jsonLines((await env.ok(p, ['ps', '-a', '--format', 'json'])).stdout);
      return r.length === 4 && r.find((x) => x.Service === 'once')?.State === 'exited' ? r : undefined;
    }, { what: 'four containers listed' });
    const web = rows.find((r) => r.Name === `${p.name}-web-1`);
    expect(web).toMatchObject({ Service: 'web', Project: p.name, State: 'running', Health: '', ExitCode: 0, Image: 'busybox:latest', Publishers: [] });
    expect(web?.Status).toMatch(/^Up /);
    expect(typeof web?.ID).toBe('string');
    expect(web?.Labels).toContain(`com.docker.compose.project=${p.name}`);
    expect(web?.Labels).toContain('com.docker.compose.service=web');
    expect(web?.Command).toBe('"sh -c trap \'exit 0\'…"');
    const once = rows.find((r) => r.Service === 'once');
    expect(once).toMatchObject({ Name: `${p.name}-once-1`, State: 'exited', ExitCode: 3 });
    expect(once?.Status).toMatch(/^Exited \(3\) .* ago$/);
    const full = jsonLines((await env.ok(p, ['ps', '--no-trunc', '--format', 'json', 'web'])).stdout);
    expect(full.map((r) => r.Command)).toEqual([JSON.stringify("sh -c trap 'exit 0' TERM; echo web-out; echo web-err >&2; while true; do sleep 1; done")]);
  });

  it('the ps table has Compose\'s columns; -q, --services, --status and --filter status= select', async () => {
    const table = (await env.ok(p, ['ps', '-a'])).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS$/);
    expect(table.find((l) => l.startsWith(`${p.name}-once-1 `))).toMatch(/Exited \(3\) .* ago/);
    expect((await env.ok(p, ['ps', '-q'])).stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect((await env.ok(p, ['ps', '--services', 'web'])).stdout).toBe('web\n');
    for (const args of [['--status', 'exited'], ['--filter', 'status=exited']]) {
      const names = jsonLines((await env.ok(p, ['ps', ...args, '--format', 'json'])).stdout).map((r) => r.Name);
      expect(names).toContain(`${p.name}-once-1`);
      expect(names).not.toContain(`${p.name}-web-1`);
    }
    expect((await env.run(p, ['ps', '--status', 'sleeping'])).status).toBe(2);
  });

  it('a container waiting out its restart delay is "restarting" and listed without -a', async () => {
    const row = await eventually(async () => {
      const r = jsonLines((await env.ok(p, ['ps', '--format', 'json'])).stdout).find((x) => x.Service === 'crash');
      return r?.State === 'restarting' ? r : undefined;
    }, { what: 'crash restarting', timeoutMs: 60_000 });
    expect(row.Status).toMatch(/^Restarting \(1\) .* ago$/);
    expect((await env.ok(p, ['ps', '--status', 'restarting', '-q'])).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('logs: `service-N  | ` prefixes lined up, stderr lines on stdout, --no-log-prefix, --until, --index', async () => {
    const out = await eventually(async () => {
      const r = await env.ok(p, ['logs', 'web', 'worker']);
      return r.stdout.includes('web-err') && r.stdout.includes('worker-') ? r.stdout : undefined;
    }, { what: 'logs of web and worker' });
    expect(out).toMatch(/^web-1 {5}\| web-out$/m);
    expect(out).toMatch(/^web-1 {5}\| web-err$/m);
    expect(out).toMatch(/^worker-1 {2}\| worker-/m);
    expect((await env.ok(p, ['logs', '--no-log-prefix', 'web'])).stdout.split('\n')).toEqual(expect.arrayContaining(['web-out', 'web-err']));
    expect((await env.ok(p, ['logs', '--until', '2000-01-01T00:00:00Z', 'web'])).stdout).toBe('');
    await env.ok(p, ['scale', 'worker=2']);
    const second = await eventually(async () => {
      const r = await env.ok(p, ['logs', '--index', '2', 'worker']);
      return r.stdout.includes('worker-') ? r.stdout : undefined;
    }, { what: 'logs of worker #2' });
    expect(second.trim().split('\n').every((l) => l.startsWith('worker-2  | '))).toBe(true);
    await env.ok(p, ['scale', 'worker=1']);
  });

  it('top prints each container with docker top\'s ps -ef columns', async () => {
    const r = await env.ok(p, ['top', 'web']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${p.name}-web-1`);
    expect(lines[1]).toMatch(/^UID +PID +PPID +C +STIME +TTY +TIME +CMD$/);
    expect(lines[2]).toMatch(/^root +\d+ +\d+ +\d+ +\S+ +\? +\d\d:\d\d:\d\d +sh -c trap/);
  });

  it('unknown services are "no such service" errors (exit 1) for ps, logs, top, exec, restart and up', async () => {
    for (const args of [['ps', 'nope'], ['logs', 'nope'], ['top', 'nope'], ['restart', 'nope'], ['up', '-d', 'nope'], ['kill', 'nope']]) {
      const r = await env.run(p, args);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 1]);
      expect(r.stderr).toContain('no such service: nope');
    }
    const ex = await env.run(p, ['exec', '-T', 'nope', 'true']);
    expect(ex.status).toBe(1);
    expect(ex.stderr).toContain('no such service: nope');
  });

  it('exec passes -e, -w, -u through and exits with the command\'s status', async () => {
    const r = await env.ok(p, ['exec', '-T', '-e', 'FOO=bar', '-w', '/tmp', '-u', '1000', 'web', 'sh', '-c', 'echo "$FOO $(pwd) $(id -u)"']);
    expect(r.stdout.trim()).toBe('bar /tmp 1000');
    expect((await env.run(p, ['exec', '-T', 'web', 'sh', '-c', 'exit 7'])).status).toBe(7);
    const idx = await env.run(p, ['exec', '-T', '--index', '5', 'web', 'true']);
    expect(idx.status).toBe(1);
    expect(idx.stderr).toContain('service "web" is not running container #5');
  });

  it('events --json prints one JSON object per line with Compose\'s fields; restart says Restarting/Started with --progress after the verb', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/tscompose.js'), '-p', p.name, 'events', '--json', 'web'], { cwd: p.dir, env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 1500)); // let it subscribe; the events below come later anyway
      const r = await env.ok(p, ['restart', '--progress', 'plain', 'web']);
      expect(r.stderr).toMatch(new RegExp(`Container ${p.name}-web-1  Restarting`));
      expect(r.stderr).toMatch(new RegExp(`Container ${p.name}-web-1  Started`));
      expect(r.stderr).not.toMatch(/Recreate/);
      const events = await eventually(() => {
        const ev = jsonLines(out);
        return ev.some((e) => e.action === 'start') ? ev : undefined;
      }, { what: 'a start event', timeoutMs: 60_000 });
      for (const e of events) {
        expect(Object.keys(e).sort()).toEqual(['action', 'attributes', 'id', 'service', 'time', 'type']);
        expect(e).toMatchObject({ type: 'container', service: 'web', attributes: { name: `${p.name}-web-1`, image: 'busybox:latest' } });
        expect(Number.isFinite(Date.parse(String(e.time)))).toBe(true);
      }
      expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['die', 'start']));
    } finally {
      child.kill('SIGINT');
    }
  });

  it('logs -f follows new lines and ends, as Compose\'s, once the followed containers have stopped', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/tscompose.js'), '-p', p.name, 'logs', '-f', '--no-log-prefix', 'web'], { cwd: p.dir, env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    try {
      await eventually(() => out.includes('web-out'), { what: 'the followed log' });
      await env.ok(p, ['exec', '-T', 'web', 'sh', '-c', 'echo followed-line > /proc/1/fd/1']);
      await eventually(() => out.includes('followed-line'), { what: 'a new line while following' });
      await env.ok(p, ['stop', '-t', '5', 'web']);
      expect(await exited).toBe(0);
      await env.ok(p, ['start', 'web']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stop then start says Stopped, then Started (not Recreated)', async () => {
    const stop = await env.ok(p, ['stop', '-t', '5', 'worker']);
    expect(stop.stderr).toMatch(new RegExp(`Container ${p.name}-worker-1  Stopped`));
    const start = await env.ok(p, ['--progress', 'plain', 'start', 'worker']);
    expect(start.stderr).toMatch(new RegExp(`Container ${p.name}-worker-1  Started`));
    expect(start.stderr).not.toMatch(/Recreate/);
  });

  it('after down: exec says the service is not running; stop and kill succeed with nothing to do', async () => {
    await env.ok(p, ['down', '-t', '1']);
    const ex = await env.run(p, ['exec', '-T', 'web', 'true']);
    expect([ex.status, ex.stderr.trim()]).toEqual([1, 'service "web" is not running']);
    expect((await env.run(p, ['stop'])).status).toBe(0);
    const kill = await env.run(p, ['kill']);
    expect([kill.status, kill.stderr]).toEqual([0, expect.stringContaining('no container to kill')]);
  });
});

describe('attached up', () => {
  it('--exit-code-from: the first exit stops the stack, up returns that service\'s code and announces each exit', async () => {
    const q = env.project('cliabort', `services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "sleep 1; echo app-done; exit 4"]
  side:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo side-up; while true; do sleep 1; done"]
`);
    expect((await env.run(q, ['up', '-d', '--abort-on-container-exit'])).status).toBe(2);
    const r = await env.run(q, ['up', '--exit-code-from', 'app', '-t', '5']);
    expect(r.status).toBe(4);
    expect(r.stdout).toMatch(/^app-1 +\| app-done$/m);
    expect(r.stdout).toMatch(/^app-1 exited with code 4$/m);
    expect(r.stderr).toContain('Aborting on container exit...');
    const rows = await env.psJson(q);
    expect(rows.map((x) => [x.Service, x.State])).toEqual([['app', 'exited'], ['side', 'exited']]);
    await env.ok(q, ['down', '-t', '1']);
  });
});
