/**
 * File copying for `cp` that cannot be led out of a container's root by symlinks (the docker cp CVEs:
 * CVE-2018-15664, CVE-2019-14271). Everything works on directory file descriptors: a path is resolved one
 * component at a time below a root fd we hold (an absolute symlink restarts at that root, ".." never climbs
 * above it, as Docker's FollowSymlinkInScope), and each step opens `/proc/self/fd/DIR/NAME` with O_NOFOLLOW,
 * so a component the container swaps for a symlink mid-copy makes the copy fail (ELOOP), never escape.
 * The container's root is `/proc/PID/root`, which also shows its volumes and bind mounts (its mount
 * namespace's tree), which the overlay directory on the host would not.
 * The calls are synchronous: the CLI does nothing else meanwhile, and a tree of small files costs a dozen
 * calls per file, which through libuv's thread pool took ~2 ms a file.
 */
import * as fs from 'node:fs';
import { constants as C, type Stats } from 'node:fs';

const MAX_LINKS = 40; // as the kernel's path walk

/** An open directory (or file) descriptor, closed by its FdScope. */
export class Dir {
  constructor(readonly fd: number) {}
  async chown(uid: number, gid: number): Promise<void> {
    fs.fchownSync(this.fd, uid, gid);
  }
  async chmod(mode: number): Promise<void> {
    fs.fchmodSync(this.fd, mode);
  }
  async utimes(atime: Date | number, mtime: Date | number): Promise<void> {
    fs.futimesSync(this.fd, atime, mtime);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

/** An entry named `name` in the directory `dir` ("." for the directory itself). */
export interface Loc {
  dir: Dir;
  name: string;
}

export const procPath = (fd: number, name = '.'): string => `/proc/self/fd/${fd}/${name}`;
const locPath = (l: Loc): string => procPath(l.dir.fd, l.name);

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** Opens directories and closes them all at the end (a resolution holds its ancestors open). */
export class FdScope {
  private readonly open = new Set<Dir>();

  async dir(path: string): Promise<Dir> {
    const h = new Dir(fs.openSync(path, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW));
    this.open.add(h);
    return h;
  }

  /** A root: the path's own symlinks are followed (`/proc/PID/root` is one). */
  async root(path: string): Promise<Dir> {
    const h = new Dir(fs.openSync(path, C.O_RDONLY | C.O_DIRECTORY));
    this.open.add(h);
    return h;
  }

  async release(h: Dir): Promise<void> {
    if (this.open.delete(h)) h.close();
  }

  async close(): Promise<void> {
    for (const h of this.open) {
      try {
        h.close();
      } catch {
        // closing is best effort
      }
    }
    this.open.clear();
  }
}

/**
 * Resolve `path` (relative to `root` whatever its spelling) inside `root`. The last component is returned
 * unresolved (it may not exist) unless `followFinal` and it is a symlink. Throws ENOENT/ENOTDIR/ELOOP.
 */
export async function resolveInRoot(scope: FdScope, root: Dir, path: string, followFinal: boolean): Promise<Loc> {
  const queue = path.split('/').filter((c) => c !== '' && c !== '.');
  let stack: Dir[] = [root];
  let links = 0;
  for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
    const top = stack[stack.length - 1] ?? root;
    if (c === '..') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const last = queue.length === 0;
    let st: Stats;
    try {
      st = fs.lstatSync(procPath(top.fd, c));
    } catch (e) {
      if (last && (e as NodeJS.ErrnoException).code === 'ENOENT') return { dir: top, name: c };
      throw e;
    }
    if (st.isSymbolicLink() && (!last || followFinal)) {
      if (++links > MAX_LINKS) throw fsError('ELOOP', `too many levels of symbolic links in ${path}`);
      const target = fs.readlinkSync(procPath(top.fd, c));
      if (target.startsWith('/')) stack = [root];
      queue.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    if (last) return { dir: top, name: c };
    if (!st.isDirectory()) throw fsError('ENOTDIR', `not a directory: ${c} in ${path}`);
    stack.push(await scope.dir(procPath(top.fd, c)));
  }
  return { dir: stack[stack.length - 1] ?? root, name: '.' };
}

export async function lstatAt(l: Loc): Promise<Stats | undefined> {
  try {
    return fs.lstatSync(locPath(l));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Open a resolved location that is a directory (for copying into it). */
export function openDirAt(scope: FdScope, l: Loc): Promise<Dir> {
  return scope.dir(locPath(l));
}

// proc, sysfs, cgroup v1/v2, devpts, mqueue, debugfs, securityfs, tracefs, pstore, bpf
const VIRTUAL_FS = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x1cd1, 0x19800202, 0x64626720, 0x73636673, 0x74726163, 0x6165676c, 0xcafe4a11]);

/**
 * A kernel filesystem (the container's /proc, /sys, ...): copied as an empty directory, as its files are
 * live views (/proc/kcore alone claims terabytes), not content.
 */
export async function isVirtualFs(path: string): Promise<boolean> {
  try {
    return VIRTUAL_FS.has(fs.statfsSync(path).type);
  } catch {
    return false;
  }
}

export interface CopyOptions {
  /** Keep the source's uid/gid (-a); otherwise files belong to whoever copies (root here, as Docker's). */
  archive: boolean;
}

async function copyFile(src: Loc, dst: Loc, st: Stats, o: CopyOptions): Promise<void> {
  const r = fs.openSync(locPath(src), C.O_RDONLY | C.O_NOFOLLOW);
  try {
    const w = fs.openSync(locPath(dst), C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW, st.mode & 0o7777);
    try {
      // sized to the file: a tree of small files must not allocate a MiB each
      const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size, 4096), 1 << 20));
      for (;;) {
        const n = fs.readSync(r, buf, 0, buf.length, null);
        if (n === 0) break;
        let off = 0;
        while (off < n) off += fs.writeSync(w, buf, off, n - off);
      }
      if (o.archive) fs.fchownSync(w, st.uid, st.gid);
      fs.fchmodSync(w, st.mode & 0o7777); // after chown, which clears set-id bits
      fs.futimesSync(w, st.atime, st.mtime);
    } finally {
      fs.closeSync(w);
    }
  } finally {
    fs.closeSync(r);
  }
}

/**
 * Copy the entry at `src` to `dst` (created or replaced; a directory is merged into an existing one),
 * recursively, keeping modes and times (and owners with `archive`), symlinks as symlinks. Sockets, fifos and
 * devices are left out.
 */
export async function copyTree(scope: FdScope, src: Loc, dst: Loc, o: CopyOptions): Promise<void> {
  const st = fs.lstatSync(locPath(src));
  const existing = await lstatAt(dst);
  const name = dst.name;
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) throw fsError('EEXIST', `cannot overwrite non-directory "${name}" with a directory`);
    if (!existing) fs.mkdirSync(locPath(dst), { mode: 0o700 });
    const s = await scope.dir(locPath(src));
    const d = await scope.dir(locPath(dst));
    try {
      if (!(await isVirtualFs(procPath(s.fd)))) {
        for (const n of fs.readdirSync(procPath(s.fd))) await copyTree(scope, { dir: s, name: n }, { dir: d, name: n }, o);
      }
      if (o.archive) await d.chown(st.uid, st.gid);
      await d.chmod(st.mode & 0o7777);
      await d.utimes(st.atime, st.mtime);
    } finally {
      await scope.release(s);
      await scope.release(d);
    }
    return;
  }
  if (existing?.isDirectory()) throw fsError('EISDIR', `cannot overwrite directory "${name}" with a non-directory`);
  if (st.isFile()) {
    if (existing && !existing.isFile()) fs.unlinkSync(locPath(dst));
    await copyFile(src, dst, st, o);
  } else if (st.isSymbolicLink()) {
    if (existing) fs.unlinkSync(locPath(dst));
    fs.symlinkSync(fs.readlinkSync(locPath(src)), locPath(dst));
    if (o.archive) fs.lchownSync(locPath(dst), st.uid, st.gid);
    fs.lutimesSync(locPath(dst), st.atime, st.mtime);
  }
}
