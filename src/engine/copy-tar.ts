/**
 * `cp SERVICE:SRC -` and `cp - SERVICE:DEST`: a tar stream on stdout / stdin, as docker cp. Out: the
 * resource under its own name (a directory with everything below it), PAX headers for long names. In:
 * the archive is extracted into DEST, an existing directory; every entry is created through the same
 * fd-based walk as copy-fs (no "..", no path through a symlink, nothing followed), so an archive cannot
 * write outside DEST whatever the container has planted there.
 */
import * as fs from 'node:fs';
import { constants as C } from 'node:fs';
import { TscError } from '../errors.js';
import { ByteSource } from '../image/byte-source.js';
import { TarReader, type TarEntry } from '../image/tar-reader.js';
import { FdScope, isVirtualFs, lstatAt, procPath, type Dir, type Loc } from './copy-fs.js';

const BLOCK = 512;

/** A PAX record "LEN key=value\n", LEN counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let len = n + String(n).length;
  if (String(len).length !== String(n).length) len = n + String(len).length;
  return `${len}${body}`;
}

interface HeaderFields { name: string; flag: string; size: number; mode: number; uid: number; gid: number; mtime: number; linkname: string }

function octal(h: Buffer, off: number, len: number, v: number): void {
  h.write(`${Math.max(0, Math.floor(v)).toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
}

function rawHeader(f: HeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(f.name, 0, 100, 'utf8');
  octal(h, 100, 8, f.mode & 0o7777);
  octal(h, 108, 8, f.uid < 0o7777777 ? f.uid : 0);
  octal(h, 116, 8, f.gid < 0o7777777 ? f.gid : 0);
  octal(h, 124, 12, f.size);
  octal(h, 136, 12, f.mtime);
  h.write(f.flag, 156, 1, 'latin1');
  h.write(f.linkname, 157, 100, 'utf8');
  h.write('ustar\0' + '00', 257, 8, 'latin1');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

const pad = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** The header blocks of one entry: a PAX `x` header first when a field does not fit ustar. */
export function headerBlocks(f: HeaderFields): Buffer[] {
  const recs: string[] = [];
  const fits = (s: string): boolean => Buffer.byteLength(s) <= 100 && /^[\x20-\x7e]*$/.test(s);
  if (!fits(f.name)) recs.push(paxRecord('path', f.name));
  if (!fits(f.linkname)) recs.push(paxRecord('linkpath', f.linkname));
  if (f.uid >= 0o7777777) recs.push(paxRecord('uid', String(f.uid)));
  if (f.gid >= 0o7777777) recs.push(paxRecord('gid', String(f.gid)));
  const main = rawHeader(f);
  if (recs.length === 0) return [main];
  const body = Buffer.from(recs.join(''), 'utf8');
  const x = rawHeader({ ...f, name: `PaxHeaders/${f.name}`.slice(0, 99), flag: 'x', size: body.length, linkname: '' });
  return [x, body, pad(body.length), main];
}

/** The entry at `src` and everything below it as tar blocks, named from `name`. */
export async function* tarEntries(scope: FdScope, src: Loc, name: string): AsyncGenerator<Buffer> {
  const path = procPath(src.dir.fd, src.name);
  const st = fs.lstatSync(path);
  const base = { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000, linkname: '' };
  if (st.isDirectory()) {
    yield* headerBlocks({ ...base, name: `${name}/`, flag: '5', size: 0 });
    const d = await scope.dir(path);
    try {
      const entries = (await isVirtualFs(procPath(d.fd))) ? [] : fs.readdirSync(procPath(d.fd)).sort();
      for (const n of entries) yield* tarEntries(scope, { dir: d, name: n }, `${name}/${n}`);
    } finally {
      await scope.release(d);
    }
  } else if (st.isSymbolicLink()) {
    yield* headerBlocks({ ...base, name, flag: '2', size: 0, linkname: fs.readlinkSync(path) });
  } else if (st.isFile()) {
    const h = fs.openSync(path, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      yield* headerBlocks({ ...base, name, flag: '0', size: st.size });
      // exactly the size in the header: a file that shrank meanwhile is padded, one that grew is cut
      let left = st.size;
      while (left > 0) {
        const buf = Buffer.alloc(Math.min(left, 1 << 20));
        const n = fs.readSync(h, buf, 0, buf.length, null);
        yield n === 0 ? buf : buf.subarray(0, n);
        left -= n === 0 ? buf.length : n;
      }
      yield pad(st.size);
    } finally {
      fs.closeSync(h);
    }
  }
  // sockets, fifos and devices are left out
}

export async function* tarOf(scope: FdScope, src: Loc, name: string): AsyncGenerator<Buffer> {
  yield* tarEntries(scope, src, name);
  yield Buffer.alloc(BLOCK * 2);
}

function unsafe(name: string, why: string): TscError {
  return new TscError('RUNTIME', `refusing archive entry ${JSON.stringify(name)}: ${why}`);
}

function components(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw unsafe(name, 'path contains ".."');
    out.push(c);
  }
  return out;
}

/** The directory holding entry `comps` below `root`, creating missing directories; never through a symlink. */
async function parentOf(scope: FdScope, root: Dir, comps: string[], name: string): Promise<Dir> {
  let cur = root;
  for (const c of comps.slice(0, -1)) {
    const st = await lstatAt({ dir: cur, name: c });
    if (!st) fs.mkdirSync(procPath(cur.fd, c), { mode: 0o755 });
    else if (!st.isDirectory()) throw unsafe(name, `${c} is not a directory`);
    const next = await scope.dir(procPath(cur.fd, c));
    if (cur !== root) await scope.release(cur);
    cur = next;
  }
  return cur;
}

async function extractOne(scope: FdScope, root: Dir, r: TarReader, e: TarEntry, archive: boolean): Promise<string | undefined> {
  const comps = components(e.name);
  const last = comps[comps.length - 1];
  if (last === undefined) return undefined; // the archive's "./"
  const dir = await parentOf(scope, root, comps, e.name);
  try {
    const path = procPath(dir.fd, last);
    const existing = await lstatAt({ dir, name: last });
    if (e.type === 'dir') {
      if (existing && !existing.isDirectory()) throw unsafe(e.name, 'cannot overwrite a non-directory with a directory');
      if (!existing) fs.mkdirSync(path, { mode: 0o700 });
      const d = await scope.dir(path);
      try {
        if (archive) await d.chown(e.uid, e.gid);
        await d.chmod(e.mode & 0o7777);
      } finally {
        await scope.release(d);
      }
      return undefined;
    }
    if (existing?.isDirectory()) throw unsafe(e.name, 'cannot overwrite a directory with a non-directory');
    if (e.type === 'file' && !e.sparse) {
      if (existing && !existing.isFile()) fs.unlinkSync(path);
      const w = fs.openSync(path, C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW, e.mode & 0o7777);
      try {
        for await (const chunk of r.body()) {
          let off = 0;
          while (off < chunk.length) off += fs.writeSync(w, chunk, off, chunk.length - off);
        }
        if (archive) fs.fchownSync(w, e.uid, e.gid);
        fs.fchmodSync(w, e.mode & 0o7777);
        fs.futimesSync(w, e.mtime, e.mtime);
      } finally {
        fs.closeSync(w);
      }
      return undefined;
    }
    if (e.type === 'symlink') {
      if (existing) fs.unlinkSync(path);
      fs.symlinkSync(e.linkname, path);
      if (archive) fs.lchownSync(path, e.uid, e.gid);
      fs.lutimesSync(path, e.mtime, e.mtime);
      return undefined;
    }
    return `${e.name}: ${e.sparse ? 'sparse file' : e.type} entries are not extracted`;
  } finally {
    if (dir !== root) await scope.release(dir);
  }
}

/** Extract a tar stream into the directory `dest`; returns warnings about entries left out. */
export async function extractTar(scope: FdScope, dest: Loc, input: AsyncIterable<Buffer>, archive: boolean): Promise<string[]> {
  const st = await lstatAt(dest);
  if (!st?.isDirectory()) throw new TscError('RUNTIME', 'extracting an archive needs an existing directory as the destination');
  const root = await scope.dir(procPath(dest.dir.fd, dest.name));
  const r = new TarReader(new ByteSource(input));
  const warnings: string[] = [];
  for (let e = await r.next(); e; e = await r.next()) {
    const w = await extractOne(scope, root, r, e, archive);
    if (w) warnings.push(w);
  }
  return warnings;
}
