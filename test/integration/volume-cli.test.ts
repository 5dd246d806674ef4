/** `tscompose volume ls|create|inspect|rm` through the built CLI (dist/, built by `npm test`). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(i.stdout.trim()).toBe('[]');
    expect(i.stderr).toContain(`No such volume: ${name}-missing`);
    const r = run('volume', 'rm', `${name}-missing`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`No such volume: ${name}-missing`);
    expect(run('volume', 'rm', '--force', `${name}-missing`).status).toBe(0);
  });

  it('lists dangling volumes and prunes unused anonymous ones (all unused with --all)', () => {
    const used = `${name}-used`;
    const free = `${name}-free`;
    const anon = 'a'.repeat(60) + String(process.pid % 10000).padStart(4, '0');
    for (const v of [used, free]) expect(run('volume', 'create', v).status).toBe(0);
    expect(run('volume', 'create', anon, '--label', 'com.docker.volume.anonymous=').status).toBe(0);
    writeFileSync(join(root, 'volumes', anon, '_data', 'blob'), 'x'.repeat(1500));
    const bundle = join(root, 'containers', 'ctr1', 'bundle');
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ mounts: [{ destination: '/d', type: 'bind', source: join(root, 'volumes', used, '_data') }] }));
    const dangling = run('volume', 'ls', '-q', '--filter', 'dangling=true').stdout.split('\n');
    expect(dangling).toContain(free);
    expect(dangling).not.toContain(used);
    expect(run('volume', 'ls', '-q', '--filter', 'dangling=false').stdout.split('\n')).toContain(used);

    const p1 = run('volume', 'prune', '--force');
    expect(p1.status).toBe(0);
    expect(p1.stdout).toBe(`Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 1.5kB\n`);
    expect(existsSync(join(root, 'volumes', free))).toBe(true);
    const p2 = run('volume', 'prune', '--all', '--force');
    expect(p2.stdout.split('\n')).toContain(free);
    expect(existsSync(join(root, 'volumes', free))).toBe(false);
    expect(existsSync(join(root, 'volumes', used))).toBe(true);
    const rm = run('volume', 'rm', used);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toContain('volume is in use');
    rmSync(join(root, 'containers', 'ctr1'), { recursive: true, force: true });
    expect(run('volume', 'rm', used).status).toBe(0);
  });

  it('refuses invalid names', () => {
    const r = run('volume', 'create', 'x');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('invalid characters for a local volume name');
  });
});
