/**
 * Size and count limits of the unpacker: a gzip bomb (refused, nothing left in the store), an entry-count
 * limit, 100k tiny files (streamed, never held in memory) and a 10 GiB sparse entry (hand-made PAX 1.0 and
 * old-GNU maps, and GNU tar's own sparse formats) that must unpack to a sparse file using almost no disk.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackLayerStream } from '../../src/image/layer-stream.js';
import { importRootfs } from '../../src/image/import.js';
import { ImageStore } from '../../src/image/store.js';
import { batched, header, tarStream, type TEntry } from '../helpers/tar-writer.js';

const work = fs.mkdtempSync(join(tmpdir(), `tsc-unpack-limits-${process.pid}-`));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const GiB = 1024 ** 3;
const fresh = (name: string): string => fs.mkdtempSync(join(work, `${name}-`));

describe('unpack limits', () => {
  it('refuses a gzip bomb (1 GiB of zeros in 1 MB) past the size limit and leaves nothing behind', async () => {
    const zeros = gzipSync(Buffer.alloc(16 << 20), { level: 9 });
    const head = gzipSync(header({ name: 'zero' }, 'zero', '0', GiB));
    const bomb = join(work, 'bomb.tar.gz');
    fs.writeFileSync(bomb, Buffer.concat([head, ...Array<Buffer>(64).fill(zeros)]));
    expect(fs.statSync(bomb).size).toBeLessThan(2 << 20);
    const store = new ImageStore({ root: fresh('bomb'), limits: { maxBytes: 64 << 20 } });
    await expect(importRootfs(store, bomb, 'bomb:1')).rejects.toMatchObject({ code: 'IMAGE', message: expect.stringMatching(/larger than the limit .*compression bomb/) });
    expect(fs.readdirSync(join(store.dir, 'layers'))).toEqual([]);
    expect(fs.readdirSync(join(store.dir, 'tmp'))).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('refuses a layer with more entries than the limit', async () => {
    const entries = Array.from({ length: 1500 }, (_, i): TEntry => ({ name: `f${i}`, data: 'x' }));
    await expect(unpackLayerStream(batched(tarStream(entries)), fresh('count'), { maxEntries: 1000 })).rejects.toThrow(/more than 1000 entries/);
  });

  // On tmpfs when the host has one: this case measures the unpacker, not a shared CI disk's metadata speed.
  it('unpacks 100k tiny files streamed', async () => {
    function* entries(): Generator<TEntry> {
      for (let d = 0; d < 100; d++) {
        yield { name: `d${d}/`, type: 'dir' };
        for (let f = 0; f < 1000; f++) yield { name: `d${d}/f${f}`, data: String.fromCharCode(97 + (f % 26)) };
      }
    }
    const dir = fs.existsSync('/dev/shm') ? fs.mkdtempSync(`/dev/shm/tsc-unpack-many-${process.pid}-`) : fresh('many');
    try {
      const res = await unpackLayerStream(batched(tarStream(entries())), dir);
      expect(res.entries).toBe(100_100);
      expect(fs.readdirSync(join(dir, 'd99'))).toHaveLength(1000);
      expect(fs.readFileSync(join(dir, 'd42/f27'), 'utf8')).toBe('b');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  const tail = Buffer.from('the end\n');
  const checkSparse = (file: string): void => {
    const st = fs.statSync(file);
    expect(st.size).toBe(10 * GiB);
    expect(st.blocks * 512).toBeLessThan(1 << 20);
    const fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(tail.length);
    fs.readSync(fd, b, 0, b.length, 10 * GiB - tail.length);
    const h = Buffer.alloc(5);
    fs.readSync(fd, h, 0, 5, 0);
    fs.closeSync(fd);
    expect(b.equals(tail) && h.toString() === 'start').toBe(true);
  };

  it('unpacks a hand-made 10 GiB PAX 1.0 sparse entry and an old-GNU sparse entry as sparse files', async () => {
    const map = `2\n0\n5\n${10 * GiB - tail.length}\n${tail.length}\n`;
    const mapBlock = Buffer.concat([Buffer.from(map), Buffer.alloc(512 - map.length)]);
    const data = Buffer.concat([mapBlock, Buffer.from('start'), tail]);
    const pax = { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'big/sparse.img', 'GNU.sparse.realsize': String(10 * GiB) };
    const dir = fresh('sparse-pax');
    await unpackLayerStream(batched(tarStream([{ name: 'big/GNUSparseFile.0/sparse.img', data, pax }])), dir);
    checkSparse(join(dir, 'big/sparse.img'));
    const gnu = fresh('sparse-gnu');
    const sparse = { realSize: 10 * GiB, map: [[0, 5], [10 * GiB - tail.length, tail.length]] as Array<[number, number]> };
    await unpackLayerStream(batched(tarStream([{ name: 'sparse.img', type: 'gnu-sparse', data: Buffer.concat([Buffer.from('start'), tail]), sparse }])), gnu);
    checkSparse(join(gnu, 'sparse.img'));
  });

  it('unpacks 10 GiB sparse files written by GNU tar (gnu, posix 0.1 and 1.0)', async () => {
    const src = fresh('sparse-src');
    const f = join(src, 'disk.img');
    fs.writeFileSync(f, 'start');
    fs.truncateSync(f, 10 * GiB);
    const fd = fs.openSync(f, 'r+');
    fs.writeSync(fd, tail, 0, tail.length, 10 * GiB - tail.length);
    fs.closeSync(fd);
    for (const fmt of [['--format=gnu'], ['--format=posix', '--sparse-version=0.1'], ['--format=posix', '--sparse-version=1.0']]) {
      const tar = join(work, 'sparse.tar');
      execFileSync('tar', ['-S', ...fmt, '-C', src, '-cf', tar, 'disk.img']);
      expect(fs.statSync(tar).size).toBeLessThan(1 << 20);
      const dir = fresh('sparse-out');
      await unpackLayerStream(batched([fs.readFileSync(tar)]), dir);
      checkSparse(join(dir, 'disk.img'));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
