/** The cgroup freezer on fake cgroup trees of both versions (the kernel's own behaviour is in the e2e test). */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeze, isFrozen, thaw } from '../../src/runtime/freezer.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tsc-freezer-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const CG = 'tscompose/p/c1';

describe('freezer, cgroup v2', () => {
  it('writes cgroup.freeze, waits for cgroup.events to say frozen, and reads the state back', async () => {
    const root = scratch();
    const dir = join(root, CG);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.freeze'), '0\n');
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    const layout = { version: 2 as const, root };
    expect(await isFrozen(CG, layout)).toBe(false);
    await freeze(CG, layout);
    expect(readFileSync(join(dir, 'cgroup.freeze'), 'utf8')).toBe('1');
    expect(await isFrozen(CG, layout)).toBe(true);
    await thaw(CG, layout);
    expect(await isFrozen(CG, layout)).toBe(false);
  });
});

describe('freezer, cgroup v1', () => {
  it('makes the freezer cgroup, moves the container\'s process in, freezes; thaw of a never-paused container makes nothing', async () => {
    const root = scratch();
    const mounts = { freezer: join(root, 'freezer'), pids: join(root, 'pids'), memory: join(root, 'memory') };
    mkdirSync(join(mounts.pids, CG), { recursive: true });
    writeFileSync(join(mounts.pids, CG, 'cgroup.procs'), '4242\n');
    const layout = { version: 1 as const, mounts };
    await thaw(CG, layout);
    expect(await isFrozen(CG, layout)).toBe(false);
    await freeze(CG, layout);
    expect(readFileSync(join(mounts.freezer, CG, 'cgroup.procs'), 'utf8')).toBe('4242');
    expect(readFileSync(join(mounts.freezer, CG, 'freezer.state'), 'utf8')).toBe('FROZEN');
    expect(await isFrozen(CG, layout)).toBe(true);
    await thaw(CG, layout);
    expect(await isFrozen(CG, layout)).toBe(false);
  });

  it('says plainly when the host has no freezer controller', async () => {
    const root = scratch();
    await expect(freeze(CG, { version: 1, mounts: { pids: join(root, 'pids') } })).rejects.toThrow('freezer controller');
  });
});
