/**
 * `up` starts its supervisor from bin/ before the CLI loads (src/cli/early.ts). A CLI that fails or dies
 * before it hands that spare a project must leave nothing behind: the spare reads EOF and exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { processesUnder, REPO, StackEnv } from '../helpers/stack.js';

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
const spares = (): number[] => processesUnder(env.base).filter((pid) => cmdline(pid).includes('supervisor/main.js --spare'));

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

  it('answers --version without the CLI bundle, as before', () => {
    const r = spawnSync(join(REPO, 'bin/tscompose.js'), ['--version'], { encoding: 'utf8' });
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`tscompose version v${pkg.version}\n`);
  });
});
