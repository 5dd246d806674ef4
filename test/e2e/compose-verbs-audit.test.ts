/**
 * Issue #6's verbs against what Docker Compose documents, where tscompose used to differ: `ps` lists
 * one-off `run` containers, -q wins over --services, `--orphans=false`, Compose's --filter errors,
 * `--format` Go templates (functions, `.Label "k"`, table headers as Compose's, aligned columns),
 * CreatedAt as Go prints it; `logs --since` with Go durations, --index, --ansi; `events` outliving a down;
 * `kill -s` names and numbers. Tests run in order on one project.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { REPO, parsePsJson, stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('audit');
const STACK = `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; trap 'echo got-usr1' USR1; echo web-ready; while true; do sleep 1; done"]
  worker:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
`;
const p = env.project('audit', STACK);

const rowsOf = async (args: string[]): Promise<Record<string, unknown>[]> => parsePsJson((await env.ok(p, ['ps', ...args, '--format', 'json'])).stdout);

describe('ps as docker compose ps', () => {
  it('lists one-off `run` containers: a detached one while it runs, an exited one with -a; a --rm one not after it ends', async () => {
    await env.ok(p, ['up', '-d']);
    const detached = (await env.ok(p, ['run', '-d', 'worker', 'sleep', '300'])).stdout.trim();
    expect(detached).toMatch(new RegExp(`^${p.name}-worker-run-[0-9a-f]{12}$`));
    expect((await env.ok(p, ['run', 'worker', 'echo', 'one-off-done'])).stdout).toContain('one-off-done');
    await env.ok(p, ['run', '--rm', 'worker', 'true']);

    const running = await rowsOf([]);
    const oneOff = running.find((r) => r.Name === detached);
    expect(oneOff).toMatchObject({ Service: 'worker', State: 'running', Image: 'busybox:latest', Command: '"sleep 300"', Project: p.name });
    expect((oneOff?.Labels as Record<string, string>)['com.docker.compose.oneoff']).toBe('True');
    expect(running.filter((r) => String(r.Name).includes('-run-'))).toHaveLength(1);

    const all = await rowsOf(['-a']);
    const exited = all.filter((r) => String(r.Name).includes('-run-') && r.Name !== detached);
    expect(exited).toHaveLength(1); // the --rm one is gone
    expect(exited[0]).toMatchObject({ Service: 'worker', State: 'exited', ExitCode: 0, Command: '"echo one-off-done"' });
    expect(all.map((r) => r.Name)).toEqual([...all.map((r) => String(r.Name))].sort());

    // the service's own containers stay what logs, top and exec see
    const top = (await env.ok(p, ['top', 'worker'])).stdout;
    expect(top).toContain(`${p.name}-worker-1\n`);
    expect(top).not.toContain('-run-');
    expect((await env.ok(p, ['ps', '--services'])).stdout).toBe('web\nworker\n');
  });

  it('-q prints IDs even with --services; the table template has Compose\'s titles and aligned columns', async () => {
    const ids = (await env.ok(p, ['ps', '-q', '--services', 'web'])).stdout.trim().split('\n');
    expect(ids).toEqual([(await rowsOf(['web']))[0]?.ID]);

    const table = (await env.ok(p, ['ps', '--format', 'table {{.ID}}\\t{{.Name}}\\t{{.RunningFor}}\\t{{.Label "com.docker.compose.service"}}', 'web'])).stdout.split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID +NAME +CREATED +LABEL$/);
    expect(table[1]).toMatch(new RegExp(`^${p.name}-web-1-\\S+ +${p.name}-web-1 +.* ago +web$`));
    // columns line up: NAME starts at the same offset in the header and the row
    expect(table[1]?.indexOf(`${p.name}-web-1 `, 1)).toBe(table[0]?.indexOf('NAME'));

    const plain = (await env.ok(p, ['ps', '--format', '{{.Name | upper}} {{lower .State}} {{json .Publishers}}', 'web'])).stdout;
    expect(plain).toBe(`${p.name.toUpperCase()}-WEB-1 running []\n`);
    const bad = await env.run(p, ['ps', '--format', '{{range .Names}}{{end}}']);
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining('template')]);
  });

  it('--filter errors are Compose\'s; json rows carry CreatedAt as Go prints it and Created in Unix seconds', async () => {
    const noEq = await env.run(p, ['ps', '--filter', 'status']);
    expect([noEq.status, noEq.stderr]).toEqual([2, expect.stringContaining('arguments to --filter should be in form KEY=VAL')]);
    const unknown = await env.run(p, ['ps', '--filter', 'name=web']);
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining('unknown filter name')]);

    const [web] = await rowsOf(['web']);
    expect(web?.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    expect(Math.abs(Date.parse(String(web?.CreatedAt)) / 1000 - Number(web?.Created))).toBeLessThan(1);
  });

  it('--orphans=false leaves out containers of services no longer in the file; by default they are listed', async () => {
    env.writeCompose(p.dir, `services:\n  web:\n    image: busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-ready; while true; do sleep 1; done"]\n`);
    try {
      const names = async (args: string[]): Promise<string[]> => (await rowsOf(args)).map((r) => String(r.Name)).filter((n) => !n.includes('-run-'));
      expect(await names([])).toEqual([`${p.name}-web-1`, `${p.name}-worker-1`]);
      expect(await names(['--orphans=false'])).toEqual([`${p.name}-web-1`]);
      expect(await names(['--orphans', 'web'])).toEqual([`${p.name}-web-1`]);
    } finally {
      env.writeCompose(p.dir, STACK);
    }
  });
});

describe('logs as docker compose logs', () => {
  it('--since and --until take Go durations (1.5h, 1h) and fractional Unix timestamps', async () => {
    await eventually(async () => (await env.ok(p, ['logs', 'web'])).stdout.includes('web-ready'), { what: 'web logged' });
    expect((await env.ok(p, ['logs', '--since', '1.5h', 'web'])).stdout).toMatch(/^web-1 +\| web-ready$/m);
    expect((await env.ok(p, ['logs', '--until', '1h', 'web'])).stdout).toBe('');
    expect((await env.ok(p, ['logs', '--since', `${(Date.now() / 1000 + 3600).toFixed(3)}`, 'web'])).stdout).toBe('');
    const bad = await env.run(p, ['logs', '--since', '10 minutes', 'web']);
    expect(bad.status).toBe(2);
  });

  it('--index of a replica that does not exist fails as Compose\'s', async () => {
    const r = await env.run(p, ['logs', '--index', '3', 'worker']);
    expect([r.status, r.stderr.trim()]).toEqual([1, 'service "worker" is not running container #3']);
  });

  it('--ansi always colors the prefixes on a pipe, --ansi never does not; a bad value is a usage error', async () => {
    expect((await env.ok(p, ['--ansi', 'always', 'logs', 'web'])).stdout).toMatch(/^\u001b\[\d+mweb-1 +\| \u001b\[0mweb-ready$/m);
    expect((await env.ok(p, ['--ansi', 'never', 'logs', 'web'])).stdout).not.toContain('\u001b');
    expect((await env.ok(p, ['--ansi', 'always', 'logs', '--no-color', 'web'])).stdout).not.toContain('\u001b');
    expect((await env.run(p, ['--ansi', 'sometimes', 'ps'])).status).toBe(2);
  });
});

describe('events as docker compose events', () => {
  it('keeps listening through a down (which takes the one-off containers too) and reports the next up\'s containers; Ctrl-C ends it with status 0', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/tscompose.js'), '-p', p.name, 'events', '--json', 'worker'], { cwd: p.dir, env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    try {
      const events = (): { action: string; id: string }[] => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; id: string });
      // the stream prints no "ready" line: it is subscribed once a restart of the worker shows in it
      await eventually(async () => {
        await env.ok(p, ['restart', '-t', '1', 'worker']);
        return events().length > 0;
      }, { what: 'events subscribed', timeoutMs: 60_000, intervalMs: 500 });
      const before = (await rowsOf(['worker'])).find((r) => r.Name === `${p.name}-worker-1`)?.ID;
      await env.ok(p, ['down', '-t', '1']);
      await eventually(() => events().some((e) => e.action === 'destroy' && e.id === before), { what: 'destroy of the old worker', timeoutMs: 60_000 });
      expect(await rowsOf(['-a'])).toEqual([]); // the one-off `run` containers went too
      await env.ok(p, ['up', '-d']);
      const after = (await rowsOf(['worker']))[0]?.ID;
      expect(after).not.toBe(before);
      await eventually(() => events().some((e) => e.action === 'start' && e.id === after), { what: 'start of the new worker', timeoutMs: 60_000 });
      child.kill('SIGINT');
      expect([await exited, err]).toEqual([0, '']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('kill as docker compose kill', () => {
  it('-s takes names with or without SIG, in any case, and numbers; a bad signal fails before any container is touched', async () => {
    const bad = await env.run(p, ['kill', '-s', 'NOPE', 'web']);
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining('invalid signal')]);
    expect(bad.stderr).not.toContain('Killing');
    const traps = async (): Promise<number> => (await env.ok(p, ['logs', '--no-log-prefix', 'web'])).stdout.split('\n').filter((l) => l === 'got-usr1').length;
    // one at a time: a shell runs its trap once for signals that arrive while it waits for a child
    for (const [i, sig] of ['usr1', 'SIGUSR1', '10'].entries()) {
      await env.ok(p, ['kill', '-s', sig, 'web']);
      await eventually(async () => (await traps()) === i + 1, { what: `USR1 trap after kill -s ${sig}`, timeoutMs: 60_000 });
    }
    expect((await rowsOf(['web']))[0]?.State).toBe('running');
  });

  it('stats --format takes Go templates, with docker stats\' titles in a table', async () => {
    const t = (await env.ok(p, ['stats', '--no-stream', '--format', 'table {{.Name}}\\t{{.CPUPerc}}\\t{{.PIDs}}', 'web'])).stdout.split('\n');
    expect(t[0]).toMatch(/^NAME +CPU % +PIDS$/);
    expect(t[1]).toMatch(new RegExp(`^${p.name}-web-1 +\\d+\\.\\d\\d% +\\d+$`));
    expect((await env.ok(p, ['stats', '--no-stream', '--format', '{{.Name}}={{.MemPerc}}', 'web'])).stdout).toMatch(new RegExp(`^${p.name}-web-1=\\d+\\.\\d\\d%\n$`));
  });

  it('--progress json prints Compose\'s JSON lines ({"id","status"}) on stderr', async () => {
    const r = await env.ok(p, ['--progress', 'json', 'stop', '-t', '1', 'worker']);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual({ id: `Container ${p.name}-worker-1`, status: 'Stopping' });
    expect(lines).toContainEqual({ id: `Container ${p.name}-worker-1`, status: 'Stopped' });
    expect(r.stdout).toBe('');
    await env.ok(p, ['start', 'worker']);
  });

  it('down says Stopping, Stopped, Removing, Removed per container, as Compose, and leaves no container behind', async () => {
    const down = await env.ok(p, ['--progress', 'plain', 'down', '-t', '1']);
    const words = down.stderr.split('\n').filter((l) => l.startsWith(` Container ${p.name}-web-1  `)).map((l) => l.trim().split(/\s+/).pop());
    expect(words).toEqual(['Stopping', 'Stopped', 'Removing', 'Removed']);
    expect(down.stderr).toMatch(new RegExp(`Network ${p.name}_default  Removing\n(.*\n)* Network ${p.name}_default  Removed`));
    expect(await rowsOf(['-a'])).toEqual([]);
    expect(env.containerDirs()).toEqual([]);
    // as Compose: start has nothing to start (an error); stop, restart and kill have nothing to do (no error)
    const start = await env.run(p, ['start', 'worker']);
    expect([start.status, start.stderr.trim()]).toEqual([1, 'service "worker" has no container to start']);
    for (const verb of ['stop', 'restart', 'kill']) expect((await env.run(p, [verb, 'worker'])).status).toBe(0);
  });
});
