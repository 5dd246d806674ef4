/**
 * A plain `down` is sent to the supervisor before the CLI loads the files (src/cli/early-down.ts); the
 * supervisor serves it only when the files and the command line are what its project was loaded from.
 * Whichever way it goes, `down` does what Compose's does: these tests change the file and the environment
 * between `up` and `down` and check the result, and check that an unchanged project takes the early way
 * (TSCOMPOSE_DEBUG prints a line then) with the same output.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leaksOf, REPO, stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('earlydown');
const DEBUG = { TSCOMPOSE_DEBUG: '1' };
const TAKEN = 'debug: down taken by the supervisor before the files loaded';
const svc = (name: string): string => `  ${name}:\n    image: busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2 & wait; done"]\n`;

describe('down sent before the files load', () => {
  it('is taken when nothing changed, and prints what a down that loads the files prints', async () => {
    const yaml = `version: "3.8"\nservices:\n${svc('a')}${svc('b')}`;
    const p = env.project('edsame', yaml);
    const outputs: string[] = [];
    for (const extra of [DEBUG, { ...DEBUG, TSCOMPOSE_NO_EARLY_DOWN: '1' }]) {
      const up = await env.run(p, ['up', '-d'], 120_000, extra);
      expect(up.status, up.stderr).toBe(0);
      const down = await env.run(p, ['down', '-t', '5'], 120_000, extra);
      expect(down.status, down.stderr + env.supervisorLog(p.name)).toBe(0);
      expect(down.stderr.includes(TAKEN), down.stderr).toBe(extra === DEBUG);
      expect(down.stderr).toMatch(/the attribute `version` is obsolete/);
      outputs.push([...`${down.stdout}${down.stderr}`.split('\n')].filter((l) => l !== TAKEN).sort().join('\n'));
      expect(leaksOf(env, p.name)).toEqual([]);
    }
    // the same lines (their order between the containers may vary)
    expect(outputs[0]).toBe(outputs[1]);
    expect(outputs[0]).toMatch(/Container edsame\S*-a-1 {2}Removed/);
    expect(outputs[0]).toMatch(/Network edsame\S*_default {2}Removed/);
  }, 180_000);

  it('is declined when the file changed: a service taken out of it is an orphan and stays', async () => {
    const p = env.project('edfile', `services:\n${svc('a')}${svc('b')}`);
    await env.ok(p, ['up', '-d']);
    env.writeCompose(p.dir, `services:\n${svc('a')}`);
    const down = await env.run(p, ['down', '-t', '5'], 120_000, DEBUG);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr).not.toContain(TAKEN);
    expect(down.stderr).toMatch(/Found orphan container \(edfile\S*-b-1\)/);
    const left = await env.psJson(p);
    expect(left.map((c) => `${c.Service} ${c.State}`)).toEqual(['b running']);
    const rest = await env.run(p, ['down', '--remove-orphans', '-t', '5']);
    expect(rest.status, rest.stderr).toBe(0);
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 180_000);

  it('is declined when the environment changed, and the down still removes everything', async () => {
    const p = env.project('edenv', `services:\n${svc('a')}`);
    const up = await env.run(p, ['up', '-d'], 120_000, { ...DEBUG, EDVAR: 'one' });
    expect(up.status, up.stderr).toBe(0);
    const down = await env.run(p, ['down', '-t', '5'], 120_000, { ...DEBUG, EDVAR: 'two' });
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr).not.toContain(TAKEN);
    expect(down.stdout + down.stderr).toMatch(/Container edenv\S*-a-1 {2}Removed/);
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 180_000);

  it('with -v and --remove-orphans, as the verb reads them', async () => {
    const p = env.project('edvol', `services:\n  a:\n    image: busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2 & wait; done"]\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n`);
    await env.run(p, ['up', '-d'], 120_000, DEBUG);
    const down = await env.run(p, ['down', '-v', '--remove-orphans', '--timeout', '5'], 120_000, DEBUG);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr).toContain(TAKEN);
    expect(down.stdout + down.stderr).toMatch(/Volume edvol\S*_data {2}Removed/);
    const vols = await env.run(p, ['volume', 'ls', '-q']);
    expect(vols.stdout).not.toMatch(/edvol\S*_data/);
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 180_000);
});

/** The `tscompose` command itself (bin/tscompose): its launcher sends the down before Node starts. */
function viaBin(dir: string, args: string[], extra: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(join(REPO, 'bin/tscompose'), args, { cwd: dir, env: { ...env.env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(t);
      res({ status: code ?? 1, stdout, stderr });
    });
  });
}

describe('down sent by the launcher before Node starts (native/launch/tsc-launch.c --early)', () => {
  it('finds the project by the directory rule and is taken', async () => {
    const p = env.project('edbin', `services:\n${svc('a')}`);
    const up = await viaBin(p.dir, ['up', '-d'], DEBUG);
    expect(up.status, up.stderr).toBe(0);
    const down = await viaBin(p.dir, ['down', '--timeout', '5'], DEBUG);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr).toContain(TAKEN);
    expect(down.stdout + down.stderr).toMatch(new RegExp(`Container ${p.name}-a-1 {2}Removed`));
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 180_000);

  it('with -p, -v and --remove-orphans; and declined, with the same result, when a file changed', async () => {
    const p = env.project('edbinp', `services:\n${svc('a')}${svc('b')}`);
    expect((await viaBin(p.dir, ['-p', p.name, 'up', '-d'], DEBUG)).status).toBe(0);
    env.writeCompose(p.dir, `services:\n${svc('a')}`);
    const first = await viaBin(p.dir, ['-p', p.name, 'down', '-t', '5'], DEBUG);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).not.toContain(TAKEN);
    expect(first.stderr).toMatch(/Found orphan container/);
    expect((await env.psJson(p)).map((c) => c.Service)).toEqual(['b']);
    // what is left goes with --remove-orphans
    const rest = await viaBin(p.dir, ['-p', p.name, 'down', '-v', '--remove-orphans', '-t', '5'], DEBUG);
    expect(rest.status, rest.stderr).toBe(0);
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 180_000);
});
