/**
 * Applies one layer tar stream to an empty, private directory (the layer's own dir, later an overlay lower).
 *
 * Safety (SECURITY-AND-FORMATS.md §2): every entry is confined to `root` whatever the entry order.
 * - Names: absolute names are made relative; a `..` component is refused (also in hardlink targets).
 * - Parents are walked component by component with lstat. A symlink met there is resolved *scoped to the
 *   root* (as containerd's RootPath: `/` and `..` clamp at the root, at most 255 hops), so writing "through"
 *   a planted symlink lands inside the layer. The final component is never followed (O_NOFOLLOW, lchown,
 *   lutimes, and an existing non-directory is unlinked first).
 * - Hardlinks only to an existing non-directory inside the layer.
 * - Whiteouts: `.wh.NAME` becomes a 0/0 character device NAME, `.wh..wh..opq` sets trusted.overlay.opaque=y
 *   on its directory; `.wh.`, `.wh..`, `.wh...` and whiteouts whose parent path has a symlink are refused.
 *   `trusted.overlay.*` xattrs inside the tar are dropped (only whiteouts may make overlay metadata).
 * - Owners (lchown), modes incl. setuid/setgid/sticky (chmod after chown), xattrs, device nodes, mtimes
 *   (directories last). Duplicates replace the earlier entry; directory over directory merges.
 * The walk caches directories it has verified; any removal of a directory clears that cache.
 */
import * as fs from 'node:fs';
import { TscError, errnoCode } from '../errors.js';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../sys/xattr.js';
import type { TarEntry, TarReader } from './tar-reader.js';
import { entryComponents, refuse, writeAll, writeSparse } from './entry-io.js';

export interface UnpackLimits {
  /** Refuse a layer with more entries than this (default 4 million). */
  maxEntries?: number;
}

export interface UnpackStats {
  entries: number;
  /** Logical bytes of regular files (sparse files count their full size). */
  bytes: number;
}

const WH = '.wh.';
const OPQ = '.wh..wh..opq';
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

export class LayerApplier {
  private readonly dirs = new Set<string>(['']);
  private readonly dirTimes: Array<[string, number]> = [];
  private readonly umask = process.umask();
  private readonly root0 = process.getuid?.() === 0;
  readonly stats: UnpackStats = { entries: 0, bytes: 0 };

  constructor(private readonly root: string, private readonly limits: UnpackLimits = {}) {}

  async apply(reader: TarReader): Promise<UnpackStats> {
    const max = this.limits.maxEntries ?? 4_000_000;
    for (let e = await reader.next(); e; e = await reader.next()) {
      if (++this.stats.entries > max) throw new TscError('IMAGE', `layer has more than ${max} entries; refused`);
      await this.entry(e, reader);
    }
    await reader.drain();
    this.finish();
    return this.stats;
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** Walk `comps` (all directories) from the root; returns the real relative path. */
  private walk(name: string, comps: string[], opts: { create: boolean; followSymlinks: boolean }): string {
    let cur: string[] = [];
    const queue = [...comps];
    let hops = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        cur.pop();
        continue;
      }
      const rel = cur.length === 0 ? c : `${cur.join('/')}/${c}`;
      if (this.dirs.has(rel)) {
        cur.push(c);
        continue;
      }
      const abs = this.abs(rel);
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(abs);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      if (!st) {
        if (!opts.create) throw refuse(name, `${rel} does not exist in the layer`);
        fs.mkdirSync(abs, 0o755);
      } else if (st.isSymbolicLink()) {
        if (!opts.followSymlinks) throw refuse(name, `path goes through the symlink ${rel}`);
        if (++hops > 255) throw refuse(name, 'too many levels of symbolic links');
        const target = fs.readlinkSync(abs);
        if (target.startsWith('/')) cur = [];
        queue.unshift(...target.split('/'));
        continue;
      } else if (!st.isDirectory()) {
        throw refuse(name, `${rel} is not a directory`);
      }
      this.dirs.add(rel);
      cur.push(c);
    }
    return cur.join('/');
  }

  /** Remove whatever is at `abs` (never following it). */
  private remove(abs: string, st: fs.Stats): void {
    if (st.isDirectory()) {
      fs.rmSync(abs, { recursive: true, force: true });
      this.dirs.clear();
      this.dirs.add('');
    } else {
      fs.unlinkSync(abs);
    }
  }

  private lstatOrUndefined(abs: string): fs.Stats | undefined {
    try {
      return fs.lstatSync(abs);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  private async entry(e: TarEntry, reader: TarReader): Promise<void> {
    const comps = entryComponents(e.name);
    if (comps.length === 0) {
      if (e.type !== 'dir') throw refuse(e.name, 'changes the type of the layer root');
      this.meta(this.root, e, false);
      this.dirTimes.push(['', e.mtime]);
      return;
    }
    const base = comps[comps.length - 1]!;
    if (base.startsWith(WH)) return this.whiteout(e, comps, base);
    const parent = this.walk(e.name, comps.slice(0, -1), { create: true, followSymlinks: true });
    const rel = parent === '' ? base : `${parent}/${base}`;
    const abs = this.abs(rel);
    switch (e.type) {
      case 'dir':
        return this.dir(e, rel, abs);
      case 'file':
        return this.file(e, abs, reader);
      case 'hardlink':
        return this.hardlink(e, abs);
      case 'symlink':
        this.clear(abs);
        fs.symlinkSync(e.linkname, abs);
        this.meta(abs, e, true);
        return;
      default: {
        this.clear(abs);
        const kind = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO;
        mknod(abs, kind | (e.mode & 0o777), e.devmajor, e.devminor);
        this.meta(abs, e, false);
      }
    }
  }

  private clear(abs: string): void {
    const st = this.lstatOrUndefined(abs);
    if (st) this.remove(abs, st);
  }

  private dir(e: TarEntry, rel: string, abs: string): void {
    try {
      fs.mkdirSync(abs, 0o700);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      const st = fs.lstatSync(abs);
      if (!st.isDirectory()) {
        this.remove(abs, st);
        fs.mkdirSync(abs, 0o700);
      }
    }
    this.dirs.add(rel);
    this.meta(abs, e, false);
    this.dirTimes.push([rel, e.mtime]);
  }

  private async file(e: TarEntry, abs: string, reader: TarReader): Promise<void> {
    const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
    const perm = e.mode & 0o777;
    let fd: number;
    try {
      fd = fs.openSync(abs, flags, perm);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      this.clear(abs);
      fd = fs.openSync(abs, flags, perm);
    }
    try {
      if (e.sparse) this.stats.bytes += await writeSparse(e, fd, reader.body());
      else {
        for await (const chunk of reader.body()) writeAll(fd, chunk, null);
        this.stats.bytes += e.size;
      }
      if (e.uid !== 0 || e.gid !== 0 || !this.root0) fs.fchownSync(fd, e.uid, e.gid);
      if ((perm & ~this.umask) !== e.mode) fs.fchmodSync(fd, e.mode);
      fs.futimesSync(fd, e.mtime, e.mtime);
    } finally {
      fs.closeSync(fd);
    }
    this.xattrs(abs, e);
  }

  private hardlink(e: TarEntry, abs: string): void {
    const tcomps = entryComponents(e.linkname);
    if (tcomps.length === 0) throw refuse(e.name, 'hardlink to the layer root');
    const tparent = this.walk(e.name, tcomps.slice(0, -1), { create: false, followSymlinks: true });
    const tbase = tcomps[tcomps.length - 1]!;
    const tabs = this.abs(tparent === '' ? tbase : `${tparent}/${tbase}`);
    const st = this.lstatOrUndefined(tabs);
    // Layers are unpacked on their own (as Docker's overlay2 does), so a link to a file that only a lower
    // layer has cannot be made: refused, never resolved against anything outside this layer.
    if (!st) throw refuse(e.name, `hardlink target ${JSON.stringify(e.linkname)} is not in the layer (a link to a file of a lower layer is not supported)`);
    if (st.isDirectory()) throw refuse(e.name, 'hardlink to a directory');
    if (tabs === abs) return;
    this.clear(abs);
    fs.linkSync(tabs, abs);
  }

  private whiteout(e: TarEntry, comps: string[], base: string): void {
    const parentComps = comps.slice(0, -1);
    if (base === OPQ) {
      const dir = this.walk(e.name, parentComps, { create: true, followSymlinks: false });
      lsetxattr(this.abs(dir), 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    if (base.startsWith(`${WH}${WH}`)) return; // other AUFS metadata (.wh..wh.plnk, ...) is ignored
    const target = base.slice(WH.length);
    if (target === '' || target === '.' || target === '..') throw refuse(e.name, 'invalid whiteout');
    const dir = this.walk(e.name, parentComps, { create: true, followSymlinks: false });
    const abs = this.abs(dir === '' ? target : `${dir}/${target}`);
    this.clear(abs);
    mknod(abs, S_IFCHR, 0, 0);
  }

  /** Owner, then mode (chown clears setuid), xattrs; mtimes for non-directories. */
  private meta(abs: string, e: TarEntry, symlink: boolean): void {
    fs.lchownSync(abs, e.uid, e.gid);
    if (symlink) {
      this.xattrs(abs, e);
      fs.lutimesSync(abs, e.mtime, e.mtime);
      return;
    }
    fs.chmodSync(abs, e.mode);
    this.xattrs(abs, e);
    if (e.type !== 'dir') fs.lutimesSync(abs, e.mtime, e.mtime);
  }

  private xattrs(abs: string, e: TarEntry): void {
    for (const [k, v] of e.xattrs) {
      if (k.startsWith('trusted.overlay.')) continue;
      try {
        lsetxattr(abs, k, v);
      } catch (err) {
        const c = errnoCode(err);
        if (c === 'ENOTSUP' || (c === 'EPERM' && e.type === 'symlink')) continue;
        throw new TscError('IMAGE', `cannot set xattr ${k} on ${e.name}: ${c ?? String(err)}`, { cause: err });
      }
    }
  }

  private finish(): void {
    // Directories last, deepest first. Later entries may have replaced a parent with a symlink, so each
    // path is walked again without following symlinks; a path that no longer leads to a directory is skipped.
    this.dirTimes.sort((a, b) => b[0].length - a[0].length);
    for (const [rel, t] of this.dirTimes) {
      let real: string;
      try {
        real = this.walk(rel, rel === '' ? [] : rel.split('/'), { create: false, followSymlinks: false });
      } catch {
        continue;
      }
      fs.lutimesSync(this.abs(real), t, t);
    }
  }
}
