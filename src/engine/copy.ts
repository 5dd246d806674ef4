/**
 * `cp` between the host and a container, with docker cp's destination rules:
 * - SRC a file: DEST missing -> a file DEST (DEST "x/" missing: error); DEST a file -> overwritten;
 *   DEST a directory -> DEST/basename(SRC).
 * - SRC a directory: DEST missing -> created with SRC's contents; DEST a file -> error; DEST a directory ->
 *   DEST/basename(SRC), or SRC's contents merged into DEST when SRC ends in "/.".
 * Container paths are relative to the container's root whatever their spelling; the source's own symlink
 * is copied as a symlink unless -L. Both ends go through copy-fs's fd-based walk (the host end from "/").
 */
import { mkdirSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TscError } from '../errors.js';
import { mergedChildren, resolveMerged, type MergedEntry } from '../volume/merged-view.js';
import { copyTree, FdScope, lstatAt, openDirAt, procPath, resolveInRoot, type Loc } from './copy-fs.js';
import { pathIntent, type PathIntent } from './copy-args.js';
import { extractTar, tarOf } from './copy-tar.js';

/** One end of a copy: a root directory and a path below it; `container` names it in messages. */
export interface CopyEndpoint {
  root: string;
  path: string;
  container?: string;
}

export interface CopyFlags {
  archive: boolean;
  followLink: boolean;
}

/** A host path as the user typed it, made absolute against the working directory (".." stays physical). */
export function hostEndpoint(p: string, cwd = process.cwd()): CopyEndpoint {
  return { root: '/', path: p.startsWith('/') ? p : `${cwd}/${p}` };
}

export function containerEndpoint(pid: number, name: string, p: string): CopyEndpoint {
  return { root: `/proc/${pid}/root`, path: p, container: name };
}

const where = (e: CopyEndpoint): string => (e.container ? `${e.container}:${e.path}` : e.path);

function asTscError(e: unknown, end: CopyEndpoint, role: 'source' | 'destination'): TscError {
  if (e instanceof TscError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' && role === 'source') {
    return new TscError('NOT_FOUND', end.container ? `Could not find the file ${end.path} in container ${end.container}` : `stat ${end.path}: no such file or directory`, { cause: e });
  }
  if (code === 'ENOENT') return new TscError('NOT_FOUND', `no such directory: the parent of ${where(end)} must exist`, { cause: e });
  const why = code === 'ELOOP' ? 'a path component changed into a symbolic link during the copy, or too many symbolic links'
    : code === 'ENOTDIR' ? 'a path component is not a directory'
      : code === 'EROFS' ? 'read-only file system'
        : (e as Error).message;
  return new TscError('RUNTIME', `copying ${role === 'source' ? 'from' : 'to'} ${where(end)}: ${why}`, { cause: e });
}

/** A resolved source: what it is, and how to copy it to a destination location. */
interface Source {
  st: Stats;
  copyTo(scope: FdScope, dst: Loc): Promise<void>;
}

/** docker cp's destination rules (see the top of this file) for a resolved source. */
async function place(scope: FdScope, src: Source, si: PathIntent, srcEnd: CopyEndpoint, dst: CopyEndpoint): Promise<void> {
  const di = pathIntent(dst.path);
  const st = src.st;
  if (si.mustBeDir && !st.isDirectory()) throw new TscError('RUNTIME', `not a directory: ${where(srcEnd)}`);
  try {
    const root = await scope.root(dst.root);
    const to = await resolveInRoot(scope, root, dst.path, true);
    const target = await lstatAt(to);
    if (!target) {
      if (di.mustBeDir) throw new TscError('NOT_FOUND', `destination directory ${where(dst)} must exist`);
      await src.copyTo(scope, to);
    } else if (target.isDirectory()) {
      if (st.isDirectory() && si.contentsOnly) await src.copyTo(scope, to);
      else await src.copyTo(scope, { dir: await openDirAt(scope, to), name: si.base || '.' });
    } else {
      if (st.isDirectory()) throw new TscError('RUNTIME', `cannot copy a directory to a file: ${where(dst)}`);
      if (di.mustBeDir) throw new TscError('RUNTIME', `not a directory: ${where(dst)}`);
      await src.copyTo(scope, to);
    }
  } catch (e) {
    throw asTscError(e, dst, 'destination');
  }
}

export async function copyBetween(src: CopyEndpoint, dst: CopyEndpoint, flags: CopyFlags): Promise<void> {
  const si = pathIntent(src.path);
  const scope = new FdScope();
  try {
    let from: Loc;
    let st: Stats | undefined;
    try {
      const root = await scope.root(src.root);
      from = await resolveInRoot(scope, root, src.path, flags.followLink || si.mustBeDir);
      st = await lstatAt(from);
    } catch (e) {
      throw asTscError(e, src, 'source');
    }
    if (!st) throw asTscError(Object.assign(new Error('missing'), { code: 'ENOENT' }), src, 'source');
    await place(scope, { st, copyTo: (sc, to) => copyTree(sc, from, to, flags) }, si, src, dst);
  } finally {
    await scope.close();
  }
}

/**
 * Out of a stopped container: its filesystem is the merged view of its writable layer over the image's
 * layers (`layerDirs` bottom first, the writable layer last), read without mounting anything. Volumes
 * are not part of that view (they are mounted only while the container runs).
 */
export async function copyFromLayers(layerDirs: readonly string[], src: CopyEndpoint, dst: CopyEndpoint, flags: CopyFlags): Promise<void> {
  const si = pathIntent(src.path);
  const entry = await resolveMerged(layerDirs, src.path, flags.followLink || si.mustBeDir);
  if (!entry) throw asTscError(Object.assign(new Error('missing'), { code: 'ENOENT' }), src, 'source');
  const scope = new FdScope();
  try {
    await place(scope, { st: entry.st, copyTo: (sc, to) => copyMerged(sc, entry, to, flags) }, si, src, dst);
  } finally {
    await scope.close();
  }
}

/** copyTree for a merged-view entry: directories merged level by level, anything else copied from its top-most layer. */
async function copyMerged(scope: FdScope, e: MergedEntry, dst: Loc, flags: CopyFlags): Promise<void> {
  if (e.kind === 'other') {
    const parent = await scope.dir(dirname(e.path));
    try {
      await copyTree(scope, { dir: parent, name: basename(e.path) }, dst, flags);
    } finally {
      await scope.release(parent);
    }
    return;
  }
  const existing = await lstatAt(dst);
  if (existing && !existing.isDirectory()) throw new TscError('RUNTIME', `cannot overwrite non-directory "${dst.name}" with a directory`);
  if (!existing) mkdirSync(procPath(dst.dir.fd, dst.name), { mode: 0o700 });
  const d = await scope.dir(procPath(dst.dir.fd, dst.name));
  try {
    for (const [name, child] of await mergedChildren(e.dirs)) await copyMerged(scope, child, { dir: d, name }, flags);
    if (flags.archive) await d.chown(e.st.uid, e.st.gid);
    await d.chmod(e.st.mode & 0o7777);
    await d.utimes(e.st.atime, e.st.mtime);
  } finally {
    await scope.release(d);
  }
}

/** `cp SERVICE:SRC -`: SRC as a tar stream (docker cp's layout: the resource under its own name). */
export async function tarFrom(src: CopyEndpoint, flags: CopyFlags, write: (b: Buffer) => Promise<void>): Promise<void> {
  const si = pathIntent(src.path);
  const scope = new FdScope();
  try {
    let from: Loc;
    try {
      const root = await scope.root(src.root);
      from = await resolveInRoot(scope, root, src.path, flags.followLink || si.mustBeDir);
      if (!(await lstatAt(from))) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    } catch (e) {
      throw asTscError(e, src, 'source');
    }
    for await (const b of tarOf(scope, from, si.contentsOnly ? '.' : si.base || '.')) await write(b);
  } finally {
    await scope.close();
  }
}

/** `cp - SERVICE:DEST`: extract a tar stream into the directory DEST. Returns warnings (entries left out). */
export async function untarInto(dst: CopyEndpoint, flags: CopyFlags, input: AsyncIterable<Buffer>): Promise<string[]> {
  const scope = new FdScope();
  try {
    const root = await scope.root(dst.root);
    const to = await resolveInRoot(scope, root, dst.path, true);
    return await extractTar(scope, to, input, flags.archive);
  } catch (e) {
    throw asTscError(e, dst, 'destination');
  } finally {
    await scope.close();
  }
}
