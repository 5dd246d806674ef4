/**
 * Small pieces of the layer applier: archive names to path components (absolute names made relative,
 * `..` refused), full writes, and sparse files (ftruncate to the logical size, data segments written at
 * their offsets, so holes stay holes).
 */
import * as fs from 'node:fs';
import { TscError } from '../errors.js';
import type { TarEntry } from './tar-reader.js';

export function refuse(entry: string, why: string): TscError {
  return new TscError('IMAGE', `unsafe layer entry ${JSON.stringify(entry)}: ${why}`);
}

/** Archive name → path components inside the layer. Absolute names become relative; `..` is refused. */
export function entryComponents(name: string): string[] {
  if (name.includes('\0')) throw refuse(name, 'NUL in name');
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw refuse(name, 'path contains ".."');
    out.push(c);
  }
  return out;
}

/** Writes a sparse entry's data segments; returns the logical size. */
export async function writeSparse(e: TarEntry, fd: number, body: AsyncIterable<Buffer>): Promise<number> {
  const { realSize, map } = e.sparse!;
  let total = 0;
  for (const [off, len] of map) {
    if (off < 0 || len < 0 || off + len > realSize) throw refuse(e.name, 'sparse segment outside the file');
    total += len;
  }
  if (total !== e.size) throw refuse(e.name, 'sparse map does not match the data size');
  fs.ftruncateSync(fd, realSize);
  let seg = 0;
  let segLeft = map[0]?.[1] ?? 0;
  let pos = map[0]?.[0] ?? 0;
  for await (let chunk of body) {
    while (chunk.length > 0) {
      while (segLeft === 0) {
        seg++;
        segLeft = map[seg]![1];
        pos = map[seg]![0];
      }
      const n = Math.min(segLeft, chunk.length);
      writeAll(fd, chunk.subarray(0, n), pos);
      pos += n;
      segLeft -= n;
      chunk = chunk.subarray(n);
    }
  }
  return realSize;
}

export function writeAll(fd: number, b: Buffer, pos: number | null): void {
  let off = 0;
  while (off < b.length) {
    const n = fs.writeSync(fd, b, off, b.length - off, pos === null ? null : pos + off);
    off += n;
  }
}
