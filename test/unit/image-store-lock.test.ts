/** withLock (src/image/store-fs.ts): the lock a pull holds per layer, and what a killed holder leaves. */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLock } from '../../src/image/store-fs.js';

const dir = mkdtempSync(join(tmpdir(), 'tsc-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('image store lock', () => {
  it('takes over an empty lock left long ago (its maker was killed before writing its pid)', async () => {
    const f = join(dir, 'empty-old.lock');
    writeFileSync(f, '');
    const past = new Date(Date.now() - 60_000);
    utimesSync(f, past, past);
    // a short timeout: taken over at once, not after waiting out a deadline
    await expect(withLock(f, () => 'ran', 1_000)).resolves.toBe('ran');
    expect(existsSync(f)).toBe(false);
  });

  it('waits on an empty lock just made (its maker is about to write its pid)', async () => {
    const f = join(dir, 'empty-new.lock');
    writeFileSync(f, '');
    await expect(withLock(f, () => 'ran', 300)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(existsSync(f)).toBe(true);
  });

  it("takes over a dead owner's lock and waits on a live one's", async () => {
    const dead = join(dir, 'dead.lock');
    writeFileSync(dead, '2147483646'); // beyond pid_max: no such process
    await expect(withLock(dead, () => 'ran', 1_000)).resolves.toBe('ran');
    const live = join(dir, 'live.lock');
    writeFileSync(live, String(process.ppid));
    await expect(withLock(live, () => 'ran', 300)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
