/**
 * Read-only views of an image's merged root filesystem (overlayfs semantics) from its layer
 * directories, without mounting anything and without ever following a symlink out of the image.
 *
 * A layer directory uses overlay's on-disk format: a whiteout is a 0/0 character device, an opaque
 * directory carries the xattr `trusted.overlay.opaque=y`. The OCI/AUFS forms (`.wh.NAME` files and a
 * `.wh..wh..opq` marker) are honoured too, and never shown.
 */
import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '../sys/xattr.js';

const MAX_LINKS = 40;
export const WH_PREFIX = '.wh.';
export const WH_OPAQUE = '.wh..wh..opq';

export type MergedEntry =
  /** A directory: its host dirs top-first, ending at the first opaque one. */
  | { kind: 'dir'; dirs: string[]; st: Stats }
  /** Anything else: the host path of the top-most copy. */
  | { kind: 'other'; path: string; st: Stats };

async function lstatOrUndef(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch {
    return undefined;
  }
}

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

export async function isOpaque(dir: string): Promise<boolean> {
  if (await lstatOrUndef(join(dir, WH_OPAQUE))) return true;
  try {
    const v = lgetxattr(dir, 'trusted.overlay.opaque');
    return v !== undefined && v.toString() === 'y';
  } catch {
    return false; // no xattr support on this filesystem
  }
}

/**
 * Merge one directory level: `dirs` are the host dirs of one merged directory, top-first.
 * Returns its visible children by name.
 */
export async function mergedChildren(dirs: readonly string[]): Promise<Map<string, MergedEntry>> {
  const out = new Map<string, MergedEntry>();
  const hidden = new Set<string>();
  const closed = new Set<string>(); // directories that take nothing more from lower layers
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      continue;
    }
    const whiteouts: string[] = [];
    for (const name of names) {
      if (name.startsWith(WH_PREFIX)) {
        if (name !== WH_OPAQUE) whiteouts.push(name.slice(WH_PREFIX.length));
        continue;
      }
      if (hidden.has(name)) continue;
      const p = join(dir, name);
      const st = await lstatOrUndef(p);
      if (!st) continue;
      const prev = out.get(name);
      if (!prev) {
        if (isWhiteout(st)) {
          hidden.add(name);
        } else if (st.isDirectory()) {
          out.set(name, { kind: 'dir', dirs: [p], st });
          if (await isOpaque(p)) closed.add(name);
        } else {
          out.set(name, { kind: 'other', path: p, st });
        }
        continue;
      }
      if (prev.kind === 'dir' && !closed.has(name)) {
        if (st.isDirectory()) {
          prev.dirs.push(p);
          if (await isOpaque(p)) closed.add(name);
        } else {
          closed.add(name); // a non-directory below a directory is hidden, and so is everything lower
        }
      }
    }
    for (const w of whiteouts) if (!out.has(w)) hidden.add(w);
    // entries of this layer whited out by a higher layer were skipped above via `hidden`
  }
  return out;
}

/**
 * Resolve an absolute path inside the image to its merged entry, following symlinks inside the image
 * only (absolute targets restart at the image root, `..` never climbs above it, at most 40 links).
 * `layerDirs` bottom first (LocalImage.layerDirs). undefined when it does not exist.
 */
export async function resolveMerged(layerDirs: readonly string[], path: string, followFinal = true): Promise<MergedEntry | undefined> {
  const roots = [...layerDirs].reverse();
  const rootSt = roots[0] !== undefined ? await lstatOrUndef(roots[0]) : undefined;
  if (!rootSt) return undefined;
  const rootEntry: MergedEntry = { kind: 'dir', dirs: [], st: rootSt };
  for (const r of roots) {
    rootEntry.dirs.push(r);
    if (await isOpaque(r)) break;
  }
  let pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const stack: MergedEntry[] = [rootEntry];
  const names: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending[0] as string;
    pending = pending.slice(1);
    if (c === '..') {
      if (stack.length > 1) {
        stack.pop();
        names.pop();
      }
      continue;
    }
    const cur = stack[stack.length - 1] as MergedEntry;
    if (cur.kind !== 'dir') return undefined;
    const child = (await mergedChildren(cur.dirs)).get(c);
    if (!child) return undefined;
    if (child.kind === 'other' && child.st.isSymbolicLink() && (pending.length > 0 || followFinal)) {
      if (++links > MAX_LINKS) return undefined;
      const target = await fsp.readlink(child.path);
      if (target.startsWith('/')) {
        stack.length = 1;
        names.length = 0;
      }
      pending = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
      continue;
    }
    stack.push(child);
    names.push(c);
  }
  return stack[stack.length - 1];
}
