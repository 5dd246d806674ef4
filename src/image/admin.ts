/**
 * `image rm` and `image prune`.
 * - rm REF: removes that reference; when no reference is left (or REF is an id, which removes all of
 *   them) the image record and its config blob go too. Layers stay until prune.
 * - prune: removes layers no image record uses, blobs no record names, and temp dirs of dead processes.
 *   A layer is first renamed into tmp/ and then deleted, so a half-deleted layer is never visible.
 *   Pulls and loads in progress protect the layers they are about to use with a marker in tmp/
 *   (`pin-<pid>-*`, see pinLayers); prune keeps those.
 * Whether a container still uses an image is the caller's concern (the controller knows its containers).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { TscError } from '../errors.js';
import { atomicWrite, makeTempDir, pidAlive, staleTempDirs } from './store-fs.js';
import { isDigest, normalizeReference } from './reference.js';
import type { ImageStore } from './store.js';

export interface RemoveResult {
  untagged: string[];
  deleted?: string;
}

export async function removeImage(store: ImageStore, ref: string): Promise<RemoveResult> {
  const id = store.resolveId(ref);
  if (!id) throw new TscError('NOT_FOUND', `no such image: ${ref}`);
  const byId = isDigest(ref) || /^[a-f0-9]{12,64}$/.test(ref);
  const untagged: string[] = [];
  let left = 0;
  let canon: string | undefined;
  if (!byId) {
    canon = normalizeReference(ref);
    if (/:[^:/@]+@/.test(canon)) canon = canon.replace(/:[^:/@]+@/, '@');
  }
  await store.updateRefs((refs) => {
    const drop = (k: string): void => {
      delete refs[k];
      untagged.push(k);
    };
    const mine = (): string[] => Object.keys(refs).filter((k) => refs[k] === id);
    if (canon !== undefined && refs[canon] === id) drop(canon);
    // as Docker: once no tag is left, the digest references go too and the image is deleted
    if (byId || !mine().some((k) => !k.includes('@'))) for (const k of mine()) drop(k);
    left = mine().length;
  });
  if (left > 0) return { untagged };
  fs.rmSync(join(store.dir, 'imagedb', `${id.slice(7)}.json`), { force: true });
  fs.rmSync(store.blobPath(id), { force: true });
  return { untagged, deleted: id };
}

/** Keep `diffIds` from prune while `fn` runs (a pull or load between installing layers and saving the image). */
export async function pinLayers<T>(store: ImageStore, diffIds: string[], fn: () => Promise<T>): Promise<T> {
  const dir = makeTempDir(store.tmpRoot, 'pin');
  atomicWrite(join(dir, 'layers.json'), JSON.stringify(diffIds));
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pinned(store: ImageStore): Set<string> {
  const out = new Set<string>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(store.tmpRoot);
  } catch {
    return out;
  }
  for (const n of names) {
    const pid = Number(/^pin-(\d+)-/.exec(n)?.[1]);
    if (!pidAlive(pid)) continue;
    try {
      const list: unknown = JSON.parse(fs.readFileSync(join(store.tmpRoot, n, 'layers.json'), 'utf8'));
      if (Array.isArray(list)) for (const d of list) if (typeof d === 'string') out.add(d);
    } catch {
      // being written: its pull has not installed anything yet
    }
  }
  return out;
}

export interface PruneResult {
  layersRemoved: string[];
  bytesReclaimed: number;
}

export async function pruneLayers(store: ImageStore): Promise<PruneResult> {
  const used = pinned(store);
  const blobs = new Set<string>();
  for (const id of store.ids()) {
    const rec = store.record(id);
    if (!rec) continue;
    blobs.add(id.slice(7));
    if (rec.manifestDigest) blobs.add(rec.manifestDigest.slice(7));
    for (const d of rec.diffIds) used.add(d);
  }
  const res: PruneResult = { layersRemoved: [], bytesReclaimed: 0 };
  const layersDir = join(store.dir, 'layers');
  for (const hex of fs.existsSync(layersDir) ? fs.readdirSync(layersDir) : []) {
    const diffId = `sha256:${hex}`;
    if (!isDigest(diffId) || used.has(diffId)) continue;
    res.bytesReclaimed += store.layer(diffId)?.size ?? 0;
    const trash = join(makeTempDir(store.tmpRoot, 'prune'), 'layer');
    fs.renameSync(join(layersDir, hex), trash);
    fs.rmSync(join(trash, '..'), { recursive: true, force: true });
    res.layersRemoved.push(diffId);
  }
  const blobDir = join(store.dir, 'blobs/sha256');
  for (const hex of fs.existsSync(blobDir) ? fs.readdirSync(blobDir) : []) if (!blobs.has(hex)) fs.rmSync(join(blobDir, hex), { force: true });
  for (const d of staleTempDirs(store.tmpRoot)) fs.rmSync(d, { recursive: true, force: true });
  return res;
}
