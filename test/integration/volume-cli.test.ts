/** `tscompose volume ls|create|inspect|rm` through the built CLI (dist/, built by `npm test`). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/tscompose.js', import.meta.url));
let root: string;
const name = `clivol${process.pid}x${Math.floor(Math.random() * 1e6)}`;

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, TSCOMPOSE_ROOT: root }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), `tsc-volcli-${process.pid}-`));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('tscompose volume', () => {
  it('creates, lists, inspects and removes a volume', () => {
    expect(run('volume', 'create', name, '--label', 'team=db')).toMatchObject({ status: 0, stdout: `${name}\n` });
    const ls = run('volume', 'ls');
    expect(ls.status).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(ls.stdout).toMatch(new RegExp(`^local\\s+${name}$`, 'm'));
    expect(run('volume', 'ls', '-q').stdout.split('\n')).toContain(name);
    const rows = run('volume', 'ls', '--format', 'json').stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.find((r) => r.Name === name)).toMatchObject({ Driver: 'local', Labels: 'team=db', Mountpoint: join(root, 'volumes', name, '_data') });
    expect(run('volume', 'ls', '--filter', 'label=team=web', '-q').stdout).toBe('');

    const insp = run('volume', 'inspect', name);
    expect(insp.status).toBe(0);
    const arr = JSON.parse(insp.stdout) as Array<Record<string, unknown>>;
    expect(arr).toHaveLength(1);
    expect(arr[0]).toMatchObject({ Name: name, Driver: 'local', Mountpoint: join(root, 'volumes', name, '_data'), Labels: { team: 'db' }, Scope: 'local' });
    expect(typeof arr[0]?.CreatedAt).toBe('string');
    expect(run('volume', 'inspect', '--format', '{{.Mountpoint}}', name).stdout.trim()).toBe(join(root, 'volumes', name, '_data'));

    writeFileSync(join(root, 'volumes', name, '_data', 'f'), 'x');
    expect(run('volume', 'rm', name)).toMatchObject({ status: 0, stdout: `${name}\n` });
    expect(existsSync(join(root, 'volumes', name))).toBe(false);
  });

  it('reports missing volumes with a non-zero status', () => {
    const i = run('volume', 'inspect', `${name}-missing`);
    expect(i.status).toBe(1);
    expect(i.stderr).toContain(`No such volume: ${name}-missing`);
    const r = run('volume', 'rm', `${name}-missing`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`No such volume: ${name}-missing`);
    expect(run('volume', 'rm', '--force', `${name}-missing`).status).toBe(0);
  });

  it('refuses invalid names', () => {
    const r = run('volume', 'create', 'x');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('invalid characters for a local volume name');
  });
});
