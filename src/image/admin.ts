/**
 * `image rm` and `image prune`, with Docker's rules:
 * - rm NAME:TAG removes that tag. When it was the image's last tag, the image's digest references go too
 *   and the image is deleted — unless a container (running or stopped) was created from it: then rm
 *   refuses ("must force"); with force it untags and keeps the image record (shown as <none>) for the
 *   containers. rm ID removes every reference (several repositories need force) and the image.
 * - prune removes dangling images (no reference left) that no container uses, `all` also unused tagged
 *   images, then layers no image record, container or pull in progress uses, blobs no record names, and
 *   temp dirs of dead processes. A layer is first renamed into tmp/ and then deleted, so a half-deleted
 *   layer is never visible. Pulls and loads in progress protect the layers they are about to use with a
 *   marker in tmp/ (`pin-<pid>-*`, see pinLayers).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { TscError } from '../errors.js';
import { atomicWrite, makeTempDir, pidAlive, staleTempDirs } from './store-fs.js';
import { isDigest, normalizeReference, parseReference, repositoryName } from './reference.js';
import type { ImageStore } from './store.js';
import { imageUsage, type ImageUsage } from './usage.js';

export interface RemoveResult {
  untagged: string[];
  deleted?: string;
}

const short = (id: string): string => id.slice(7, 19);

function inUse(usage: ImageUsage, id: string): string | undefined {
  const users = usage.byImage.get(id);
  return users && users.length > 0 ? users.join(', ') : undefined;
}

export async function removeImage(store: ImageStore, ref: string, opts: { force?: boolean } = {}): Promise<RemoveResult> {
  const id = store.resolveId(ref);
  if (!id) throw new TscError('NOT_FOUND', `no such image: ${ref}`);
  const usage = await imageUsage(store);
  const users = inUse(usage, id);
  const byId = isDigest(ref) || /^[a-f0-9]{12,64}$/.test(ref);
  const untagged: string[] = [];
  let left = 0;
  let canon: string | undefined;
  if (!byId) {
    canon = normalizeReference(ref);
    if (/:[^:/@]+@/.test(canon)) canon = canon.replace(/:[^:/@]+@/, '@');
  }
  await store.updateRefs((refs) => {
    const mine = (): string[] => Object.keys(refs).filter((k) => refs[k] === id);
    const tags = mine().filter((k) => !k.includes('@'));
    const lastTag = canon !== undefined && refs[canon] === id && tags.filter((k) => k !== canon).length === 0;
    if (!opts.force) {
      if (byId && new Set(tags.map((t) => repositoryName(parseReference(t)))).size > 1)
        throw new TscError('CONFLICT', `unable to delete ${short(id)} (must be forced): image is referenced in multiple repositories`);
      if (users && (byId || lastTag))
        throw new TscError('CONFLICT', `unable to remove image ${byId ? short(id) : JSON.stringify(ref)} (must be forced): container ${users} is using it`);
    }
    const drop = (k: string): void => {
      delete refs[k];
      untagged.push(k);
    };
    if (canon !== undefined && refs[canon] === id) drop(canon);
    // as Docker: once no tag is left, the digest references go too and the image is deleted
    if (byId || !mine().some((k) => !k.includes('@'))) for (const k of mine()) drop(k);
    left = mine().length;
  });
  if (left > 0 || users) return { untagged };
  deleteRecord(store, id);
  return { untagged, deleted: id };
}

function deleteRecord(store: ImageStore, id: string): void {
  fs.rmSync(join(store.dir, 'imagedb', `${id.slice(7)}.json`), { force: true });
  fs.rmSync(store.blobPath(id), { force: true });
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
  /** References removed (`all` only). */
  untagged: string[];
  /** Image ids deleted. */
  deleted: string[];
  layersRemoved: string[];
  bytesReclaimed: number;
}

/** `image prune`: dangling images (or with `all`, every image no container uses), then unused layers. */
export async function pruneImages(store: ImageStore, opts: { all?: boolean } = {}): Promise<PruneResult> {
  const usage = await imageUsage(store);
  const untagged: string[] = [];
  const deleted: string[] = [];
  await store.updateRefs((refs) => {
    for (const id of store.ids()) {
      if (inUse(usage, id)) continue;
      const mine = Object.keys(refs).filter((k) => refs[k] === id);
      if (mine.length > 0 && !opts.all) continue;
      for (const k of mine) {
        delete refs[k];
        untagged.push(k);
      }
      deleteRecord(store, id);
      deleted.push(id);
    }
  });
  return { ...(await pruneLayers(store, usage)), untagged, deleted };
}

/** Layers that no image record, container or pull in progress uses; unreferenced blobs; dead temp dirs. */
export async function pruneLayers(store: ImageStore, usage?: ImageUsage): Promise<PruneResult> {
  const used = pinned(store);
  const busyDirs = (usage ?? (await imageUsage(store))).layerDirs;
  const blobs = new Set<string>();
  for (const id of store.ids()) {
    const rec = store.record(id);
    if (!rec) continue;
    blobs.add(id.slice(7));
    if (rec.manifestDigest) blobs.add(rec.manifestDigest.slice(7));
    for (const d of rec.diffIds) used.add(d);
  }
  const res: PruneResult = { untagged: [], deleted: [], layersRemoved: [], bytesReclaimed: 0 };
  const layersDir = join(store.dir, 'layers');
  for (const hex of fs.existsSync(layersDir) ? fs.readdirSync(layersDir) : []) {
    const diffId = `sha256:${hex}`;
    if (!isDigest(diffId) || used.has(diffId) || busyDirs.has(join(layersDir, hex, 'diff'))) continue;
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
