/**
 * The content-addressed image store under `<TSCOMPOSE_ROOT>/images` (every directory 0700, CVE-2021-41091):
 *
 *   blobs/sha256/<hex>          manifests and configs, by digest (written once, atomically)
 *   layers/<diffid-hex>/diff/   an unpacked layer (an overlay lower, read-only), shared by every image using it
 *   layers/<diffid-hex>/layer.json  {diffId, size, entries}
 *   imagedb/<config-hex>.json   one record per image (its id is the config digest)
 *   refs.json                   canonical reference → image id, and when each was last tagged (pull, load,
 *                               import: refresh pull policies use it); read-modify-write under locks/refs.lock
 *   tmp/<kind>-<pid>-<rand>/    work in progress; a layer is unpacked here and renamed into layers/ only
 *                               when complete and verified, so a half layer is never visible.
 *   locks/layer-<hex>.lock      held while a layer is downloaded: a concurrent pull of the same layer (any
 *                               process) waits, then finds it installed instead of downloading it again.
 *
 * Layers are keyed by diff_id (not chain id): whiteouts are overlay whiteouts, so a layer's unpacked
 * content does not depend on its parents and identical layers are shared between unrelated images.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TscError, errnoCode } from '../errors.js';
import type { ImageRuntimeConfig, ImageStoreApi, LocalImage, PullPolicyName, PullProgress } from './api.js';
import { digestHex, isDigest, normalizeReference } from './reference.js';
import { unpackLayerStream, type LayerStreamLimits, type LayerStreamResult } from './layer-stream.js';
import { atomicWrite, makeTempDir, mkdirPrivate, readJsonFile, withLock } from './store-fs.js';
import { refreshDue, refreshIntervalMs } from './pull-policy.js';

export interface ImageStoreOptions {
  /** TSCOMPOSE_ROOT (default: env TSCOMPOSE_ROOT, else /var/lib/tscompose); the store lives in `<root>/images`. */
  root?: string;
  limits?: LayerStreamLimits;
  /** Registries reachable over plain http besides loopback (default: env TSCOMPOSE_INSECURE_REGISTRIES, comma-separated). */
  insecureRegistries?: string[];
  /** Path of a Docker config.json for registry credentials (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json). */
  dockerConfig?: string;
  /** Parallel layer downloads (default 3). */
  concurrency?: number;
}

export interface ImageRecord {
  id: string;
  manifestDigest?: string;
  diffIds: string[];
  os: string;
  architecture: string;
  created?: string;
  config: ImageRuntimeConfig;
}

export interface LayerRecord {
  diffId: string;
  size: number;
  entries: number;
}

/** How long a pull waits for another process downloading the same layer (a slow link, a big layer). */
const LAYER_LOCK_WAIT_MS = 60 * 60_000;

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A record read back from imagedb/ (written by this module; checked, not trusted). */
function isImageRecord(j: unknown): j is ImageRecord {
  if (typeof j !== 'object' || j === null) return false;
  const r = j as Record<string, unknown>;
  const c = r.config as Record<string, unknown> | null | undefined;
  return typeof r.id === 'string' && isDigest(r.id) && strings(r.diffIds) && r.diffIds.every(isDigest) &&
    typeof r.os === 'string' && typeof r.architecture === 'string' && typeof c === 'object' && c !== null &&
    strings(c.env) && strings(c.exposedPorts) && strings(c.volumes) && typeof c.labels === 'object' && c.labels !== null;
}

export function defaultRoot(): string {
  return process.env.TSCOMPOSE_ROOT || '/var/lib/tscompose';
}

export class ImageStore implements ImageStoreApi {
  readonly dir: string;
  readonly options: ImageStoreOptions;
  private readonly inflight = new Map<string, Promise<LayerRecord & { fetched: boolean }>>();
  private readonly pulls = new Map<string, Promise<LocalImage>>();

  constructor(opts: ImageStoreOptions = {}) {
    this.options = opts;
    this.dir = join(opts.root ?? defaultRoot(), 'images');
  }

  private init(): void {
    for (const d of ['', 'blobs/sha256', 'layers', 'imagedb', 'tmp', 'locks']) mkdirPrivate(join(this.dir, d));
  }

  get tmpRoot(): string {
    return join(this.dir, 'tmp');
  }

  layerDir(diffId: string): string {
    return join(this.dir, 'layers', digestHex(diffId));
  }

  // ---- blobs ----
  blobPath(digest: string): string {
    return join(this.dir, 'blobs/sha256', digestHex(digest));
  }

  /** Store a small blob (manifest, config); verifies `expected` when given. Returns its digest. */
  putBlob(data: Buffer, expected?: string): string {
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (expected !== undefined && expected !== digest) throw new TscError('REGISTRY', `digest mismatch: expected ${expected}, got ${digest}`);
    this.init();
    const p = this.blobPath(digest);
    if (!fs.existsSync(p)) atomicWrite(p, data);
    return digest;
  }

  readBlob(digest: string): Buffer | undefined {
    try {
      return fs.readFileSync(this.blobPath(digest));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  // ---- layers ----
  layer(diffId: string): LayerRecord | undefined {
    const j = readJsonFile(join(this.layerDir(diffId), 'layer.json'));
    if (typeof j !== 'object' || j === null || !('size' in j) || !('diffId' in j)) return undefined;
    const entries = 'entries' in j && typeof j.entries === 'number' ? j.entries : 0;
    return typeof j.size === 'number' && j.diffId === diffId ? { diffId, size: j.size, entries } : undefined;
  }

  /**
   * Unpack a layer stream into the store unless `expect.diffId` is already present. Digest, size and
   * diff_id are checked before the layer is renamed into place; on any error nothing is left behind.
   */
  async installLayer(
    src: () => AsyncIterable<Buffer> | Promise<AsyncIterable<Buffer>>,
    expect: { diffId?: string; digest?: string; size?: number } = {},
  ): Promise<LayerRecord & { fetched: boolean; result?: LayerStreamResult }> {
    this.init();
    if (expect.diffId) {
      const have = this.layer(expect.diffId);
      if (have) return { ...have, fetched: false };
      const running = this.inflight.get(expect.diffId);
      if (running) return { ...(await running), fetched: false };
    }
    const unpack = async (): Promise<LayerRecord & { fetched: boolean; result?: LayerStreamResult }> => {
      const tmp = makeTempDir(this.tmpRoot, 'layer');
      try {
        fs.mkdirSync(join(tmp, 'diff'), { mode: 0o755 });
        const res = await unpackLayerStream(await src(), join(tmp, 'diff'), this.options.limits, expect);
        if (expect.diffId !== undefined && res.diffId !== expect.diffId)
          throw new TscError('IMAGE', `wrong diff_id after decompression: expected ${expect.diffId}, got ${res.diffId}`);
        const rec: LayerRecord = { diffId: res.diffId, size: res.size, entries: res.entries };
        atomicWrite(join(tmp, 'layer.json'), JSON.stringify(rec));
        try {
          fs.renameSync(tmp, this.layerDir(res.diffId));
        } catch (e) {
          const c = errnoCode(e);
          if (c !== 'EEXIST' && c !== 'ENOTEMPTY') throw e;
          fs.rmSync(tmp, { recursive: true, force: true }); // someone else installed it first
        }
        return { ...rec, fetched: true, result: res };
      } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    };
    const diffId = expect.diffId;
    // Other processes (and other stores on this root) pulling the same layer wait on its lock and then
    // find it installed, so each layer is downloaded once. A dead holder's lock is taken over.
    const job = diffId === undefined ? unpack() : withLock(join(this.dir, 'locks', `layer-${digestHex(diffId)}.lock`), () => {
      const have = this.layer(diffId);
      return have ? { ...have, fetched: false } : unpack();
    }, LAYER_LOCK_WAIT_MS);
    if (diffId) this.inflight.set(diffId, job);
    try {
      return await job;
    } finally {
      if (diffId) this.inflight.delete(diffId);
    }
  }

  // ---- images and references ----
  private refsPath(): string {
    return join(this.dir, 'refs.json');
  }

  readRefs(): Record<string, string> {
    const j = readJsonFile(this.refsPath());
    const out: Record<string, string> = {};
    if (typeof j === 'object' && j !== null && 'refs' in j && typeof j.refs === 'object' && j.refs !== null) {
      for (const [k, v] of Object.entries(j.refs)) if (typeof v === 'string' && isDigest(v)) out[k] = v;
    }
    return out;
  }

  /** When each reference was last tagged (ms since the epoch). */
  readTagTimes(): Record<string, number> {
    const j = readJsonFile(this.refsPath());
    const out: Record<string, number> = {};
    if (typeof j === 'object' && j !== null && 'tagged' in j && typeof j.tagged === 'object' && j.tagged !== null) {
      for (const [k, v] of Object.entries(j.tagged)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    }
    return out;
  }

  /** Change refs.json under its lock: `edit` mutates the map; `tagged` references get the current time. */
  async updateRefs(edit: (refs: Record<string, string>) => void, tagged: string[] = []): Promise<void> {
    this.init();
    await withLock(join(this.dir, 'locks/refs.lock'), () => {
      const refs = this.readRefs();
      edit(refs);
      const times = this.readTagTimes();
      for (const r of tagged) times[r] = Date.now();
      for (const k of Object.keys(times)) if (!(k in refs)) delete times[k];
      atomicWrite(this.refsPath(), JSON.stringify({ version: 1, refs, tagged: times }, null, 1));
    });
  }

  record(id: string): ImageRecord | undefined {
    const j = readJsonFile(join(this.dir, 'imagedb', `${digestHex(id)}.json`));
    return isImageRecord(j) && j.id === id ? j : undefined;
  }

  /** Save an image record and point `refs` at it. */
  async saveImage(rec: ImageRecord, refs: string[]): Promise<LocalImage> {
    this.init();
    atomicWrite(join(this.dir, 'imagedb', `${digestHex(rec.id)}.json`), JSON.stringify(rec));
    if (refs.length > 0) await this.updateRefs((m) => { for (const r of refs) m[r] = rec.id; }, refs);
    const img = this.toLocal(rec, this.readRefs());
    if (!img) throw new TscError('IMAGE', `image ${rec.id} has missing layers`);
    return img;
  }

  private toLocal(rec: ImageRecord, refs: Record<string, string>): LocalImage | undefined {
    let size = 0;
    const layerDirs: string[] = [];
    for (const d of rec.diffIds) {
      const l = this.layer(d);
      if (!l) return undefined; // incomplete: treated as absent
      size += l.size;
      layerDirs.push(join(this.layerDir(d), 'diff'));
    }
    const img: LocalImage = {
      id: rec.id,
      references: Object.keys(refs).filter((k) => refs[k] === rec.id).sort(),
      layerDirs,
      config: rec.config,
      os: rec.os,
      architecture: rec.architecture,
      sizeBytes: size,
    };
    if (rec.manifestDigest) img.manifestDigest = rec.manifestDigest;
    if (rec.created) img.created = rec.created;
    return img;
  }

  /** Image id for a reference, a full id, or a unique id prefix (12+ hex digits). */
  resolveId(ref: string): string | undefined {
    const refs = this.readRefs();
    if (isDigest(ref)) return this.record(ref) ? ref : undefined;
    try {
      const canon = normalizeReference(ref);
      const byRef = refs[canon] ?? (canon.includes('@') ? refs[canon.replace(/:[^:/@]+@/, '@')] : undefined);
      if (byRef) return byRef;
    } catch (e) {
      if (!/^[a-f0-9]{12,64}$/.test(ref)) throw e;
    }
    if (/^[a-f0-9]{12,64}$/.test(ref)) {
      const hits = this.ids().filter((id) => id.startsWith(`sha256:${ref}`));
      if (hits.length > 1) throw new TscError('IMAGE', `image id prefix ${ref} is ambiguous`);
      return hits[0];
    }
    return undefined;
  }

  ids(): string[] {
    let names: string[] = [];
    try {
      names = fs.readdirSync(join(this.dir, 'imagedb'));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    return names.filter((n) => /^[a-f0-9]{64}\.json$/.test(n)).map((n) => `sha256:${n.slice(0, 64)}`);
  }

  async get(ref: string): Promise<LocalImage | undefined> {
    const id = this.resolveId(ref);
    const rec = id ? this.record(id) : undefined;
    return rec ? this.toLocal(rec, this.readRefs()) : undefined;
  }

  async list(): Promise<LocalImage[]> {
    const refs = this.readRefs();
    const out: LocalImage[] = [];
    for (const id of this.ids()) {
      const rec = this.record(id);
      const img = rec && this.toLocal(rec, refs);
      if (img) out.push(img);
    }
    return out;
  }

  async ensure(ref: string, policy: PullPolicyName, onProgress?: (p: PullProgress) => void): Promise<LocalImage> {
    const interval = refreshIntervalMs(policy);
    if (policy !== 'always') {
      const have = await this.get(ref);
      if (have && (interval === undefined || !refreshDue(this.tagTime(ref), interval))) {
        onProgress?.({ ref, phase: 'exists' });
        return have;
      }
      if (!have && (policy === 'never' || policy === 'build'))
        throw new TscError('IMAGE', `image ${ref} is not present locally and pull_policy is "${policy}"${policy === 'build' ? ' (build it first)' : ''}`);
    }
    return this.pull(ref, onProgress);
  }

  /** When `ref` (any spelling) was last tagged here, if recorded. */
  private tagTime(ref: string): number | undefined {
    try {
      return this.readTagTimes()[normalizeReference(ref)];
    } catch {
      return undefined; // an id, not a reference
    }
  }

  /** Pull from the registry (always), deduplicating concurrent pulls of the same reference in this process. */
  async pull(ref: string, onProgress?: (p: PullProgress) => void): Promise<LocalImage> {
    const canon = normalizeReference(ref);
    const running = this.pulls.get(canon);
    if (running) return running;
    const job = import('./pull.js').then((m) => m.pullImage(this, canon, onProgress));
    this.pulls.set(canon, job);
    try {
      return await job;
    } finally {
      this.pulls.delete(canon);
    }
  }
}
