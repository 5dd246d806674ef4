/**
 * `up` starts its supervisor from bin/ before the CLI loads (src/cli/early.ts). A CLI that fails or dies
 * before it hands that spare a project must leave nothing behind: the spare reads EOF and exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { processesUnder, REPO, StackEnv } from '../helpers/stack.js';
import { findSupervisor } from '../../src/supervisor/client.js';
import { SUPERVISOR_NODE_FLAGS } from '../../src/cli/early.js';

const env = new StackEnv('spare');
afterAll(async () => {
  for (const pid of processesUnder(env.base)) {
    try {
      process.kill(pid, 'SIGKILL'); // only processes of this test's own state dirs
    } catch {
      // gone
    }
  }
  await env.cleanup();
});

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};
const paths = (): { root: string; runDir: string } => ({ root: env.root, runDir: env.runDir });
const lockOf = (name: string): string => join(env.root, 'projects', name, 'supervisor.lock');

/** A spare as bin/ starts one for `-p HINT up`, driven by hand: the test plays the CLI. */
function startSpare(hint: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...SUPERVISOR_NODE_FLAGS, join(REPO, 'dist/supervisor/main.cjs'), '--spare', hint], { cwd: '/', env: env.env, stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  const ready = new Promise<void>((res) => {
    fd3.once('data', () => res());
    fd3.once('end', () => res());
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, ready, exited };
}

async function pingPid(name: string): Promise<{ pid: number; project: string } | undefined> {
  const c = await findSupervisor(paths(), name);
  if (!c) return undefined;
  try {
    return (await c.request('ping', {})) as { pid: number; project: string };
  } finally {
    c.close();
  }
}

const spares = (): number[] => processesUnder(env.base).filter((pid) => /supervisor\/main\.c?js --spare/.test(cmdline(pid)));

describe('the spare supervisor bin/ starts for up', () => {
  it('exits when the CLI fails before handing it a project', async () => {
    const p = env.project('sparebad', 'services:\n  web:\n    image: [unterminated\n');
    const r = await env.run(p, ['up', '-d']);
    expect(r.status).not.toBe(0);
    await eventually(() => processesUnder(env.base).length === 0, { what: 'no process of this project left', timeoutMs: 60_000 });
    expect(existsSync(join(env.root, 'projects', p.name))).toBe(false);
  });

  it('exits when the CLI is killed before handing it a project', async () => {
    const p = env.project('sparekill', 'services:\n  web:\n    image: busybox:latest\n');
    // the CLI blocks reading its --env-file (a FIFO nobody writes) after bin/ started the spare
    const fifo = join(p.dir, 'blocked.env');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const cli = spawn(process.execPath, ['--', join(REPO, 'bin/tscompose.js'), '-p', p.name, '--env-file', fifo, 'up', '-d'], { cwd: p.dir, env: env.env, stdio: 'ignore' });
    try {
      await eventually(() => spares().length > 0, { what: 'the spare supervisor started', timeoutMs: 60_000 });
    } finally {
      cli.kill('SIGKILL');
    }
    await eventually(() => processesUnder(env.base).length === 0, { what: 'the spare exited with its CLI', timeoutMs: 60_000 });
    expect(existsSync(join(env.root, 'projects', p.name))).toBe(false);
  });

  it('told the project by -p, takes its lock before the CLI claims it, and up works as before', async () => {
    await env.importBusybox();
    const p = env.project('sparehint', 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n');
    await env.ok(p, ['up', '-d']);
    expect(readFileSync(join(env.root, 'projects', p.name, 'supervisor.log'), 'utf8')).toContain('lock and state taken before');
    const rows = await env.psJson(p);
    expect(rows.map((r) => [r.Name, r.State])).toEqual([[`${p.name}-app-1`, 'running']]);
    await env.ok(p, ['down', '-t', '1']);
    expect(existsSync(join(env.root, 'projects', p.name))).toBe(false);
  });

  it('without -p, takes the lock of the project its directory names (Compose\'s last rule), and up works', async () => {
    await env.importBusybox();
    const p = env.project('sparedir', 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n');
    const r = spawnSync(process.execPath, [join(REPO, 'bin/tscompose.js'), '--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: env.env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(env.root, 'projects', p.name, 'supervisor.log'), 'utf8')).toContain('lock and state taken before');
    expect((await env.psJson(p)).map((row) => row.Name)).toEqual([`${p.name}-app-1`]);
    await env.ok(p, ['down', '-t', '1']);
    expect(existsSync(join(env.root, 'projects', p.name))).toBe(false);
  });

  it('two ups at once, both spares told the project: one supervisor, one container per service', async () => {
    await env.importBusybox();
    const p = env.project('sparetwo', 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n  other:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n');
    const [a, b] = await Promise.all([env.run(p, ['up', '-d']), env.run(p, ['up', '-d'])]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const rows = await env.psJson(p);
    expect(rows.map((r) => [r.Name, r.State]).sort()).toEqual([[`${p.name}-app-1`, 'running'], [`${p.name}-other-1`, 'running']]);
    // the other spare deferred and exits
    const supervisors = (): number[] => processesUnder(env.base).filter((pid) => /supervisor\/main\.c?js/.test(cmdline(pid)));
    await eventually(() => supervisors().length === 1, { what: 'one supervisor left', timeoutMs: 60_000 });
    expect(supervisors()).toEqual([env.supervisorPid(p.name)]);
    await env.ok(p, ['down', '-t', '1']);
    await eventually(() => processesUnder(env.base).length === 0, { what: 'nothing of the project left', timeoutMs: 60_000 });
  });

  it('serves the project the CLI sends when it differs from the one it was told at start, and gives that one back', async () => {
    const hinted = env.project('sparewrong', 'services: {}\n');
    const real = env.project('spareright', 'services: {}\n');
    const s = startSpare(hinted.name);
    try {
      await eventually(() => existsSync(lockOf(hinted.name)), { what: 'the spare took the hinted project\'s lock', timeoutMs: 60_000 });
      s.child.stdin?.end(`${real.name}\n`);
      await s.ready;
      expect((await pingPid(real.name))?.project).toBe(real.name);
      expect(existsSync(join(env.root, 'projects', hinted.name))).toBe(false);
      expect(JSON.parse(readFileSync(lockOf(real.name), 'utf8')).pid).toBe(s.child.pid);
    } finally {
      await env.run(real, ['down']);
    }
    expect(await s.exited).toBe(0);
  });

  it('defers to the supervisor its project already has', async () => {
    const p = env.project('sparedefer', 'services: {}\n');
    // a supervisor for the project (started by a verb that needs one; it has nothing to run)
    await env.ok(p, ['stop']);
    const owner = env.supervisorPid(p.name);
    expect(owner).toBeDefined();
    const s = startSpare(p.name);
    s.child.stdin?.end(`${p.name}\n`);
    await s.ready;
    expect(await s.exited).toBe(0);
    expect(env.supervisorPid(p.name)).toBe(owner);
    expect((await pingPid(p.name))?.pid).toBe(owner);
    await env.ok(p, ['down']);
  });

  it('SIGKILLed after taking the hinted lock: the next up takes the stale lock over', async () => {
    await env.importBusybox();
    const p = env.project('sparesigkill', 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n');
    const s = startSpare(p.name);
    await eventually(() => existsSync(lockOf(p.name)), { what: 'the spare took the lock', timeoutMs: 60_000 });
    s.child.kill('SIGKILL');
    await s.exited;
    await env.ok(p, ['up', '-d']);
    const rows = await env.psJson(p);
    expect(rows.map((r) => r.State)).toEqual(['running']);
    expect(env.supervisorPid(p.name)).not.toBe(s.child.pid);
    await env.ok(p, ['down', '-t', '1']);
    await eventually(() => processesUnder(env.base).length === 0, { what: 'nothing of the project left', timeoutMs: 60_000 });
  });

  // bin/tscompose (the `tscompose` command) starts the spare itself, before Node (native/launch/tsc-launch.c)
  const command = join(REPO, 'bin/tscompose');
  const launched = (): number[] => spares().filter((pid) => cmdline(pid).includes('bin/../dist/supervisor/main.cjs --spare'));

  it('bin/tscompose starts the spare before Node; up is served by that one supervisor, and down leaves nothing', async () => {
    await env.importBusybox();
    const p = env.project('sparesh', 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n');
    const r = spawnSync(command, ['-p', p.name, '--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: env.env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const served = await pingPid(p.name);
    expect(served?.project).toBe(p.name);
    expect(cmdline(served!.pid)).toContain(`bin/../dist/supervisor/main.cjs --spare ${p.name}`); // the launcher's, not early.ts's, told -p
    expect(spares()).toEqual([served!.pid]); // no second spare was started or left
    // tsc-launch made it a session leader (no terminal signal reaches it) working in /
    const stat = readFileSync(`/proc/${served!.pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3])).toBe(served!.pid);
    expect(readlinkSync(`/proc/${served!.pid}/cwd`)).toBe('/');
    const rows = await env.psJson(p);
    expect(rows.map((x) => [x.Name, x.State])).toEqual([[`${p.name}-app-1`, 'running']]);
    await env.ok(p, ['down', '-t', '1']);
    await eventually(() => processesUnder(env.base).length === 0, { what: 'nothing of the project left', timeoutMs: 60_000 });
  });

  it('bin/tscompose: the spare it started exits when the CLI fails or is killed before claiming it', async () => {
    const bad = env.project('sparesh-bad', 'services:\n  web:\n    image: [unterminated\n');
    const r = spawnSync(command, ['-p', bad.name, 'up', '-d'], { cwd: bad.dir, env: env.env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('compose.yaml');
    await eventually(() => processesUnder(env.base).length === 0, { what: 'the spare exited after the failed up', timeoutMs: 60_000 });
    const p = env.project('sparesh-kill', 'services:\n  web:\n    image: busybox:latest\n');
    const fifo = join(p.dir, 'blocked.env');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const cli = spawn(command, ['-p', p.name, '--env-file', fifo, 'up', '-d'], { cwd: p.dir, env: env.env, stdio: 'ignore' });
    try {
      await eventually(() => launched().length > 0, { what: 'the launcher started a spare', timeoutMs: 60_000 });
    } finally {
      cli.kill('SIGKILL'); // the CLI is Node by now (the launcher execs it): same pid
    }
    await eventually(() => processesUnder(env.base).length === 0, { what: 'the spare exited with its CLI', timeoutMs: 60_000 });
    expect(existsSync(join(env.root, 'projects', p.name))).toBe(false);
  });

  it('bin/tscompose tells its spare the project name the command line states, and nothing else', async () => {
    const p = env.project('sparesh-hint', 'services:\n  web:\n    image: busybox:latest\n');
    const fifo = join(p.dir, 'blocked.env');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    /** The arguments after --spare of the spare the launcher started for this command line. */
    const hintOf = async (args: string[], extra: Record<string, string> = {}): Promise<string> => {
      const cli = spawn(command, [...args, '--env-file', fifo, 'up', '-d'], { cwd: p.dir, env: { ...env.env, ...extra }, stdio: 'ignore' });
      let seen = '';
      try {
        await eventually(() => launched().length > 0, { what: 'the launcher started a spare', timeoutMs: 60_000 });
        seen = cmdline(launched()[0]!).split('--spare')[1]!.trim();
      } finally {
        cli.kill('SIGKILL');
      }
      await eventually(() => processesUnder(env.base).length === 0, { what: 'the spare exited with its CLI', timeoutMs: 60_000 });
      return seen;
    };
    expect(await hintOf(['-p', 'hint-a'])).toBe('hint-a');
    expect(await hintOf(['--project-name=hint_b'])).toBe('hint_b');
    expect(await hintOf(['-phint-c', '-p', 'hint-d'])).toBe('hint-d'); // the last one, as commander
    expect(await hintOf([], { COMPOSE_PROJECT_NAME: 'hint-e' })).toBe('hint-e');
    expect(await hintOf(['-p', 'hint-f'], { COMPOSE_PROJECT_NAME: 'hint-e' })).toBe('hint-f');
    expect(await hintOf(['-p', 'Not-Valid'], { COMPOSE_PROJECT_NAME: 'hint-e' })).toBe(''); // the CLI reports it
    expect(await hintOf(['-p', '-x'])).toBe('');
    expect(await hintOf([])).toBe(''); // the directory's name: only early.ts reads the files that decide it
    // a spare let go gives its hinted project's lock back and leaves no directory
    for (const name of ['hint-a', 'hint_b', 'hint-c', 'hint-d', 'hint-e', 'hint-f']) expect(existsSync(join(env.root, 'projects', name))).toBe(false);
  });

  it('answers --version without the CLI bundle, as before', () => {
    const r = spawnSync(join(REPO, 'bin/tscompose.js'), ['--version'], { encoding: 'utf8' });
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`tscompose version v${pkg.version}\n`);
  });
});
