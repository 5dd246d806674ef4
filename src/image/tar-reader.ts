/**
 * A streaming tar reader, written by hand so that every header field is parsed exactly as we mean it:
 * ustar (with prefix), GNU long names/links (`L`/`K`), PAX extended headers (`x`; `g` is read and ignored)
 * with path, linkpath, size, uid, gid, mtime and SCHILY.xattr.*, and sparse files (old GNU `S` entries
 * and PAX GNU.sparse 0.1 / 1.0), whose holes are never materialised as data.
 *
 * Usage: `for (let e; (e = await r.next()); ) { for await (const chunk of r.body()) ... }`; unread data
 * is skipped by the next `next()`. Bodies are slices of the input chunks (no copies).
 */
import { TscError } from '../errors.js';
import { ByteSource } from './byte-source.js';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  mode: number; // permission bits incl. setuid/setgid/sticky
  uid: number;
  gid: number;
  /** Bytes of data stored in the archive (for sparse files: only the data segments). */
  size: number;
  mtime: number; // seconds, may be fractional (PAX)
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
  /** Sparse file: its logical size and the data segments [offset, length] in order. */
  sparse?: { realSize: number; map: Array<[number, number]> };
}

const BLOCK = 512;
const MAX_META = 1 << 20; // a PAX header or GNU long name larger than 1 MiB is refused

function bad(msg: string): TscError {
  return new TscError('IMAGE', `invalid tar archive: ${msg}`);
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z === -1 ? s : s.subarray(0, z)).toString('utf8');
}

/** Octal (space/NUL padded) or GNU base-256 numeric field. */
export function tarNumber(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f.length > 0 && (f[0]! & 0x80) !== 0) {
    if (f[0] === 0xff) throw bad('negative base-256 number');
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) {
      v = v * 256 + f[i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw bad('number too large');
    }
    return v;
  }
  const s = f.toString('latin1').replace(/[\0 ]+$/g, '').replace(/^ +/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw bad(`bad octal field ${JSON.stringify(s)}`);
  const v = parseInt(s, 8);
  if (!Number.isSafeInteger(v)) throw bad('number too large');
  return v;
}

function checksumOk(h: Buffer): boolean {
  const stored = tarNumber(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

/** "LEN key=value\n" records. */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0) break;
    const sp = buf.indexOf(0x20, pos);
    if (sp === -1) throw bad('malformed PAX record');
    const len = Number(buf.subarray(pos, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= sp - pos || pos + len > buf.length) throw bad('malformed PAX record length');
    const rec = buf.subarray(sp + 1, pos + len);
    if (rec[rec.length - 1] !== 0x0a) throw bad('PAX record without newline');
    const eq = rec.indexOf(0x3d);
    if (eq === -1) throw bad('PAX record without "="');
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1, rec.length - 1));
    pos += len;
  }
  return out;
}

function paxInt(v: Buffer | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const s = v.toString('latin1');
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw bad(`bad PAX ${what} ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) throw bad(`PAX ${what} out of range`);
  return n;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo', S: 'file',
};

export class TarReader {
  private remaining = 0; // data bytes of the current entry not yet read
  private pad = 0;
  private done = false;

  constructor(private readonly src: ByteSource) {}

  private async readMeta(size: number): Promise<Buffer> {
    if (size > MAX_META) throw bad(`metadata entry of ${size} bytes`);
    const b = await this.src.readExact(size);
    await this.src.skip((BLOCK - (size % BLOCK)) % BLOCK);
    return b;
  }

  async next(): Promise<TarEntry | null> {
    if (this.done) return null;
    await this.src.skip(this.remaining + this.pad);
    this.remaining = 0;
    this.pad = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Map<string, Buffer> | undefined;
    for (;;) {
      const h = await this.src.readUpTo(BLOCK);
      if (h.length === 0) {
        this.done = true; // EOF without end blocks: tolerated, like GNU tar
        return null;
      }
      if (h.length < BLOCK) throw bad('truncated header');
      if (h.every((c) => c === 0)) {
        this.done = true;
        return null;
      }
      if (!checksumOk(h)) throw bad('header checksum mismatch');
      const flag = String.fromCharCode(h[156]!);
      const size = tarNumber(h, 124, 12);
      if (flag === 'L') { longName = cstr(await this.readMeta(size), 0, size); continue; }
      if (flag === 'K') { longLink = cstr(await this.readMeta(size), 0, size); continue; }
      if (flag === 'x') { pax = parsePax(await this.readMeta(size)); continue; }
      if (flag === 'g') { await this.readMeta(size); continue; }
      const type = TYPES[flag];
      if (!type) throw bad(`unsupported entry type ${JSON.stringify(flag)}`);
      const magic = h.subarray(257, 263).toString('latin1');
      const ustar = magic === 'ustar\0';
      const gnu = magic === 'ustar ';
      let name = cstr(h, 0, 100);
      if (ustar) {
        const prefix = cstr(h, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      const e: TarEntry = {
        name: longName ?? name,
        type,
        mode: tarNumber(h, 100, 8) & 0o7777,
        uid: tarNumber(h, 108, 8),
        gid: tarNumber(h, 116, 8),
        size,
        mtime: tarNumber(h, 136, 12),
        linkname: longLink ?? cstr(h, 157, 100),
        devmajor: ustar || gnu ? tarNumber(h, 329, 8) : 0,
        devminor: ustar || gnu ? tarNumber(h, 337, 8) : 0,
        xattrs: new Map(),
      };
      if (flag === 'S') e.sparse = await this.gnuOldSparse(h);
      if (pax) await this.applyPax(e, pax);
      // header-only types never have data in the archive, whatever their size field says (as Go's archive/tar)
      if (e.type !== 'file') e.size = 0;
      this.remaining = e.size;
      this.pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
      return e;
    }
  }

  private async gnuOldSparse(h: Buffer): Promise<{ realSize: number; map: Array<[number, number]> }> {
    const map: Array<[number, number]> = [];
    const readMap = (b: Buffer, off: number, n: number): void => {
      for (let i = 0; i < n; i++) {
        const o = off + i * 24;
        if (b[o] === 0) return;
        map.push([tarNumber(b, o, 12), tarNumber(b, o + 12, 12)]);
      }
    };
    readMap(h, 386, 4);
    let ext = h[482] !== 0;
    while (ext) {
      const b = await this.src.readExact(BLOCK);
      readMap(b, 0, 21);
      ext = b[504] !== 0;
      if (map.length > 1_000_000) throw bad('sparse map too large');
    }
    return { realSize: tarNumber(h, 483, 12), map };
  }

  private async applyPax(e: TarEntry, pax: Map<string, Buffer>): Promise<void> {
    const str = (k: string): string | undefined => pax.get(k)?.toString('utf8');
    e.name = str('path') ?? e.name;
    e.linkname = str('linkpath') ?? e.linkname;
    e.size = paxInt(pax.get('size'), 'size') ?? e.size;
    e.uid = paxInt(pax.get('uid'), 'uid') ?? e.uid;
    e.gid = paxInt(pax.get('gid'), 'gid') ?? e.gid;
    e.mtime = paxInt(pax.get('mtime'), 'mtime') ?? e.mtime;
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) e.xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    const major = str('GNU.sparse.major');
    const minor = str('GNU.sparse.minor');
    const realSize = paxInt(pax.get('GNU.sparse.realsize') ?? pax.get('GNU.sparse.size'), 'sparse size');
    const sparseName = str('GNU.sparse.name');
    if (realSize === undefined) return;
    if (sparseName) e.name = sparseName;
    if (major === '1' && minor === '0') {
      // the map is the first block(s) of the data: "N\n" then N pairs "offset\nlength\n", padded to 512
      const map: Array<[number, number]> = [];
      const lines: string[] = [];
      let consumed = 0;
      let text = '';
      const need = (): number => (lines.length === 0 ? 1 : 1 + 2 * Number(lines[0]));
      while (lines.length < need()) {
        const b = await this.src.readExact(BLOCK);
        consumed += BLOCK;
        text += b.toString('latin1');
        const parts = text.split('\n');
        text = parts.pop() ?? '';
        lines.push(...parts);
        if (consumed > MAX_META) throw bad('sparse map too large');
        if (!/^\d+$/.test(lines[0] ?? '0')) throw bad('bad sparse map');
      }
      for (let i = 0; i < Number(lines[0]); i++) map.push([Number(lines[1 + 2 * i]), Number(lines[2 + 2 * i])]);
      if (map.some(([o, l]) => !Number.isSafeInteger(o) || !Number.isSafeInteger(l))) throw bad('bad sparse map');
      e.size -= consumed;
      if (e.size < 0) throw bad('sparse map larger than the entry');
      e.sparse = { realSize, map };
    } else {
      const m = str('GNU.sparse.map');
      if (m === undefined) throw bad(`unsupported PAX sparse format ${major ?? '0'}.${minor ?? '0'}`);
      const nums = m === '' ? [] : m.split(',').map(Number);
      if (nums.length % 2 !== 0 || nums.some((n) => !Number.isSafeInteger(n) || n < 0)) throw bad('bad sparse map');
      const map: Array<[number, number]> = [];
      for (let i = 0; i < nums.length; i += 2) map.push([nums[i]!, nums[i + 1]!]);
      e.sparse = { realSize, map };
    }
  }

  /** The current entry's data, as slices of the input. */
  async *body(): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const c = await this.src.readChunk(this.remaining);
      if (c.length === 0) throw bad('truncated entry data');
      this.remaining -= c.length;
      yield c;
    }
  }

  /** The data, padding and end of archive consumed: the rest of the input must be zeros (or nothing). */
  async drain(): Promise<void> {
    await this.src.skip(this.remaining + this.pad);
    this.remaining = 0;
    this.pad = 0;
    await this.src.drain();
  }
}
