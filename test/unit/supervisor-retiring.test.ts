import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetiringMarkers } from '../../src/supervisor/retiring.js';

const base = mkdtempSync(join(tmpdir(), 'tsc-retiring-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('retiring markers', () => {
  it('are made with their directory, listed, taken back one by one and cleared', () => {
    const m = new RetiringMarkers(join(base, 'p', 'retiring'));
    expect(m.list()).toEqual([]);
    m.mark('a1');
    m.mark('b2');
    m.mark('../x'); // not an id: ignored
    expect(m.list().sort()).toEqual(['a1', 'b2']);
    m.unmark('a1');
    m.unmark('a1');
    expect(m.list()).toEqual(['b2']);
    m.clear();
    expect(existsSync(join(base, 'p', 'retiring'))).toBe(false);
    m.mark('c3'); // made again after a clear
    expect(m.list()).toEqual(['c3']);
  });

  it('never throws: a directory that cannot be made only loses the marker', () => {
    const file = join(base, 'a-file');
    writeFileSync(file, '');
    const m = new RetiringMarkers(join(file, 'p', 'retiring')); // under a regular file: ENOTDIR
    expect(() => m.mark('a1')).not.toThrow();
    expect(() => m.unmark('a1')).not.toThrow();
    expect(m.list()).toEqual([]);
  });
});
