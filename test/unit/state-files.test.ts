import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, readJsonFile } from '../../src/state/atomic.js';
import { acquireLock, lockHolder } from '../../src/state/lock.js';
import { processStartTime } from '../../src/state/proc.js';
import { emptyState, loadProjectState, saveProjectState, parseProjectState } from '../../src/state/project-state.js';

const dir = mkdtempSync(join(tmpdir(), 'tsc-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('replaces the content and leaves no temp file', async () => {
    const f = join(dir, 'a', 'x.json');
    await writeFileAtomic(f, '{"v":1}');
    await writeFileAtomic(f, '{"v":2}');
    expect(await readJsonFile(f)).toEqual({ v: 2 });
    expect(readdirSync(join(dir, 'a'))).toEqual(['x.json']);
    expect(await readJsonFile(join(dir, 'missing.json'))).toBeUndefined();
  });
});

describe('project state', () => {
  it('round-trips and rejects garbage', async () => {
    const f = join(dir, 'p', 'state.json');
    const st = { ...emptyState('p'), active: { web: { mode: 'running' as const } }, scale: { web: 3 }, noRestart: ['x'] };
    await saveProjectState(f, st);
    expect(await loadProjectState(f, 'p')).toEqual(st);
    expect(() => parseProjectState({ version: 9 }, 'p')).toThrow(/unreadable/);
    writeFileSync(f, '{"version":1,');
    await expect(loadProjectState(f, 'p')).rejects.toThrow(/unreadable/);
  });

  it("keeps an interrupted down's -v and --remove-orphans, and only when set", () => {
    const down = { ...emptyState('p'), phase: 'down' };
    expect(parseProjectState({ ...down, removeVolumes: true, removeOrphans: true }, 'p')).toMatchObject({ removeVolumes: true, removeOrphans: true });
    const plain = parseProjectState({ ...down, removeOrphans: 'yes' }, 'p');
    expect(plain.removeOrphans).toBeUndefined();
    expect(plain.removeVolumes).toBeUndefined();
  });
});

describe('lock', () => {
  it('is exclusive while held and free after release', async () => {
    const f = join(dir, 'l1.lock');
    const h = await acquireLock(f, 'project p');
    await expect(acquireLock(f, 'project p')).rejects.toThrow(/locked by process/);
    expect((await lockHolder(f))?.pid).toBe(process.pid);
    await h.release();
    expect(await lockHolder(f)).toBeUndefined();
    const again = await acquireLock(f, 'project p');
    await again.release();
  });

  it('takes over a lock whose owner died or whose pid was reused', async () => {
    const f = join(dir, 'l2.lock');
    const child = spawn('true');
    const pid = await new Promise<number>((res) => child.on('exit', () => res(child.pid ?? 0)));
    writeFileSync(f, JSON.stringify({ pid, startTime: '1' }));
    const h = await acquireLock(f, 'project p');
    expect(JSON.parse(readFileSync(f, 'utf8')).pid).toBe(process.pid);
    await h.release();
    // our own pid with another start time: a reused pid, so stale
    writeFileSync(f, JSON.stringify({ pid: process.pid, startTime: `${processStartTime(process.pid)}9` }));
    const h2 = await acquireLock(f, 'project p');
    await h2.release();
    writeFileSync(f, 'garbage');
    const h3 = await acquireLock(f, 'project p');
    await h3.release();
  });
});
