/**
 * Seeding an empty volume from the image, as Docker's copyExistingContents does: when a volume is
 * mounted over a path that has content in the image and the volume is empty, the image's content is
 * copied in (owners, modes, times, symlinks as links, hard links kept as links, device nodes and FIFOs
 * recreated), and the volume's root takes the owner and mode of the image's directory.
 *
 * The source is the merged view of the image's layers (whiteouts and opaque directories respected);
 * nothing is mounted. Symlinks are never followed while copying; the mount point itself is resolved
 * inside the image only. The destination is a fresh, empty directory that no container uses yet.
 */
import { constants, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { mknod } from '../sys/xattr.js';
import { mergedChildren, resolveMerged } from './merged-view.js';

interface CopyState {
  /** "dev:ino" of files with several links → the first copy's destination path. */
  links: Map<string, string>;
  copied: number;
}

async function isEmptyDir(p: string): Promise<boolean> {
  const dir = await fsp.opendir(p);
  try {
    return (await dir.read()) === null;
  } finally {
    await dir.close().catch(() => undefined);
  }
}

async function applyMeta(dest: string, st: Stats, isLink: boolean): Promise<void> {
  await fsp.lchown(dest, st.uid, st.gid);
  if (!isLink) {
    // after chown, which clears set-id bits
    await fsp.chmod(dest, st.mode & 0o7777);
    await fsp.utimes(dest, st.atime, st.mtime);
  } else {
    await fsp.lutimes(dest, st.atime, st.mtime).catch(() => undefined);
  }
}

async function copyEntry(src: string, st: Stats, dest: string, state: CopyState): Promise<void> {
  if (st.isSymbolicLink()) {
    await fsp.symlink(await fsp.readlink(src), dest);
    await applyMeta(dest, st, true);
  } else if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? state.links.get(key) : undefined;
    if (first !== undefined) {
      await fsp.link(first, dest);
      state.copied++;
      return;
    }
    await fsp.copyFile(src, dest, constants.COPYFILE_EXCL);
    await applyMeta(dest, st, false);
    if (st.nlink > 1) state.links.set(key, dest);
  } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
    const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn) | Number((BigInt(st.rdev) >> 32n) & ~0xfffn);
    const minor = Number(BigInt(st.rdev) & 0xffn) | Number((BigInt(st.rdev) >> 12n) & ~0xffn);
    mknod(dest, st.mode, major, minor);
    await applyMeta(dest, st, false);
  } else {
    return; // sockets are not copied
  }
  state.copied++;
}

async function copyMergedDir(dirs: readonly string[], dest: string, state: CopyState): Promise<void> {
  const children = await mergedChildren(dirs);
  for (const [name, entry] of [...children.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const d = join(dest, name);
    if (entry.kind === 'dir') {
      await fsp.mkdir(d, { mode: 0o700 });
      await copyMergedDir(entry.dirs, d, state);
      await applyMeta(d, entry.st, false); // last, so the times stick and a read-only mode does not block children
      state.copied++;
    } else {
      await copyEntry(entry.path, entry.st, d, state);
    }
  }
}

/**
 * Copy the image's content at `containerPath` into `volumePath` when `volumePath` is empty.
 * Returns true when it changed the volume (content copied and/or root ownership taken from the image).
 */
export async function seedFromLayers(volumePath: string, layerDirs: readonly string[], containerPath: string): Promise<boolean> {
  if (layerDirs.length === 0) return false;
  if (!(await isEmptyDir(volumePath))) return false;
  const entry = await resolveMerged(layerDirs, containerPath);
  if (!entry || entry.kind !== 'dir') return false;
  const state: CopyState = { links: new Map(), copied: 0 };
  await copyMergedDir(entry.dirs, volumePath, state);
  await fsp.lchown(volumePath, entry.st.uid, entry.st.gid);
  await fsp.chmod(volumePath, entry.st.mode & 0o7777);
  return true;
}
