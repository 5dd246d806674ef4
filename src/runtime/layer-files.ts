/**
 * Read a small file (/etc/passwd, /etc/group) from the merged view of an image's layer directories
 * without mounting them, and without ever following a symlink out of the image.
 *
 * The path is resolved one component at a time against the merged view (top layer first, as overlayfs):
 * a symlink found in the image is resolved by us, scoped to the image root (absolute targets restart at
 * the image root, `..` never climbs above it, at most 40 links), and a layer only contributes below a
 * prefix that is a real directory in that layer (lstat, never stat). A whiteout (0/0 char device or
 * `.wh.NAME`) or a non-directory in a higher layer hides everything below it. The final read opens
 * with O_NOFOLLOW. Opaque directories (an xattr) are not consulted: they can only hide lower entries,
 * so at worst a deleted file of a lower layer is read.
 */
import { constants, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';

const MAX_LINKS = 40;
const MAX_BYTES = 1024 * 1024;

async function lstatOrUndef(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch {
    return undefined;
  }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

type Hit = { layer: string; st: Stats } | undefined;

/** The top-most entry for `parts` (already resolved: every prefix is a directory in the merged view). */
async function mergedLstat(layersTopDown: readonly string[], parts: readonly string[]): Promise<Hit> {
  const name = parts[parts.length - 1] ?? '';
  const dirParts = parts.slice(0, -1);
  for (const layer of layersTopDown) {
    // Every prefix must be a real directory in this layer for it to contribute.
    let p = layer;
    let blocked = false;
    let missing = false;
    for (const c of dirParts) {
      const parent = p;
      p = join(p, c);
      const st = await lstatOrUndef(p);
      if (!st) {
        missing = true;
        if (await lstatOrUndef(join(parent, `.wh.${c}`))) blocked = true;
        break;
      }
      if (!st.isDirectory()) {
        blocked = true;
        break;
      }
    }
    if (blocked) return undefined;
    if (missing) continue;
    if (await lstatOrUndef(join(p, `.wh.${name}`))) return undefined;
    const st = await lstatOrUndef(join(p, name));
    if (!st) continue;
    if (isWhiteout(st)) return undefined;
    return { layer, st };
  }
  return undefined;
}

/**
 * Contents of `path` (absolute inside the image) or undefined when it does not exist or is not a
 * regular file. `layerDirs` bottom first, as LocalImage.layerDirs.
 */
export async function readImageFile(layerDirs: readonly string[], path: string): Promise<string | undefined> {
  const top = [...layerDirs].reverse();
  let pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending[0] as string;
    pending = pending.slice(1);
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const hit = await mergedLstat(top, [...resolved, c]);
    if (!hit) return undefined;
    if (hit.st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = await fsp.readlink(join(hit.layer, ...resolved, c));
      const tparts = target.split('/').filter((x) => x !== '' && x !== '.');
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...tparts, ...pending];
      continue;
    }
    if (pending.length > 0) {
      if (!hit.st.isDirectory()) return undefined;
      resolved.push(c);
      continue;
    }
    if (!hit.st.isFile() || hit.st.size > MAX_BYTES) return undefined;
    // A container's writable layer can swap the file for a FIFO or grow it between lstat and open:
    // O_NONBLOCK never waits for a writer, the fstat re-check and the bounded read cap the rest.
    const fh = await fsp.open(join(hit.layer, ...resolved, c), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > MAX_BYTES) return undefined;
      const buf = Buffer.alloc(st.size);
      const { bytesRead } = st.size === 0 ? { bytesRead: 0 } : await fh.read(buf, 0, st.size, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  }
  return undefined;
}
