/** stats BLOCK I/O: the kernel's cgroup files (v1 and v2) parsed and read from a fake cgroup tree. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIoServiceBytes, parseIoStat, readBlockIo } from '../../src/engine/block-io.js';
import { statsRow } from '../../src/engine/stats.js';

const base = mkdtempSync(join(tmpdir(), 'tsc-blkio-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('block I/O', () => {
  it('sums v2 io.stat over devices', () => {
    expect(parseIoStat('8:0 rbytes=4096 wbytes=1000 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=4 wbytes=24 rios=1 wios=1\n')).toEqual({ read: 4100, write: 1024 });
    expect(parseIoStat('')).toEqual({ read: 0, write: 0 });
  });

  it('sums v1 Read/Write rows, and tells an empty file ("Total 0") apart', () => {
    expect(parseIoServiceBytes('8:0 Read 100\n8:0 Write 20\n8:0 Sync 120\n8:0 Async 0\n8:0 Total 120\n8:16 Read 1\nTotal 121\n')).toEqual({ read: 101, write: 20 });
    expect(parseIoServiceBytes('Total 0\n')).toBeUndefined();
  });

  it('reads v1 in runc\'s order (CFQ, BFQ, throttle) and v2 io.stat', async () => {
    const blkio = join(base, 'blkio', 'tscompose/p/c1');
    mkdirSync(blkio, { recursive: true });
    writeFileSync(join(blkio, 'blkio.bfq.io_service_bytes_recursive'), 'Total 0\n');
    writeFileSync(join(blkio, 'blkio.throttle.io_service_bytes_recursive'), '8:0 Read 5\n8:0 Write 7\nTotal 12\n');
    expect(await readBlockIo({ version: 1, mounts: { blkio: join(base, 'blkio') } }, 'tscompose/p/c1')).toEqual({ read: 5, write: 7 });
    expect(await readBlockIo({ version: 1, mounts: { blkio: join(base, 'blkio') } }, 'tscompose/p/none')).toBeUndefined();
    const v2 = join(base, 'v2', 'tscompose/p/c1');
    mkdirSync(v2, { recursive: true });
    writeFileSync(join(v2, 'io.stat'), '8:0 rbytes=2000000 wbytes=3 rios=1 wios=1\n');
    expect(await readBlockIo({ version: 2, root: join(base, 'v2') }, 'tscompose/p/c1')).toEqual({ read: 2000000, write: 3 });
  });

  it('shows in the stats row as Docker does (decimal units)', () => {
    const a = { at: 0, net: { rx: 0, tx: 0 } };
    const b = { at: 1000, net: { rx: 0, tx: 0 }, blk: { read: 2_000_000, write: 1234 } };
    expect(statsRow({ ID: 'x', Name: 'x' }, a, b).BlockIO).toBe('2MB / 1.23kB');
  });
});
