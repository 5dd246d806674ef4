/** readLockOwner (src/state/lock-owner.ts): what a pid lock file says about its owner. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNERLESS_STALE_MS, readLockOwner } from '../../src/state/lock-owner.js';

const dir = mkdtempSync(join(tmpdir(), 'tsc-lockowner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lockWith = (name: string, text: string, ageMs = 0): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  if (ageMs > 0) {
    const t = new Date(Date.now() - ageMs);
    utimesSync(f, t, t);
  }
  return f;
};

describe('readLockOwner', () => {
  it('reads the owner pid, old or new', () => {
    expect(readLockOwner(lockWith('a', '1234\n'))).toEqual({ pid: 1234, ownerlessStale: false });
    expect(readLockOwner(lockWith('b', '1234', 60_000))).toEqual({ pid: 1234, ownerlessStale: false });
  });

  it('an ownerless lock (empty, torn, or pid 0) is stale only once older than the grace', () => {
    for (const [i, text] of ['', '12ab', '0', '  '].entries()) {
      expect(readLockOwner(lockWith(`new${i}`, text))).toEqual({ pid: NaN, ownerlessStale: false });
      expect(readLockOwner(lockWith(`old${i}`, text, OWNERLESS_STALE_MS + 5_000))).toEqual({ pid: NaN, ownerlessStale: true });
    }
  });

  it('says undefined once the lock is gone', () => {
    expect(readLockOwner(join(dir, 'none'))).toBeUndefined();
  });
});
