/**
 * `image load -i FILE`: docker-save tarballs (manifest.json: Config, RepoTags, Layers) and OCI-layout
 * tarballs (oci-layout + index.json + blobs/), plain or gzip, from a file or (FILE `-`) standard input. The archive is first unpacked with the same
 * safe applier as layers into a private temp dir; files inside it are then opened only through
 * `insidePath` (no symlink, no `..`, regular file), so a hostile archive cannot make us read host files.
 * Every layer's diff_id is checked against the config; OCI blobs are also checked against their digests.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TscError } from '../errors.js';
import type { LocalImage } from './api.js';
import { hostArchitecture, parseImageConfig, parseJson } from './config.js';
import { parseManifest, selectPlatform, type Descriptor } from './manifest.js';
import { digestHex, normalizeReference } from './reference.js';
import { unpackLayerStream } from './layer-stream.js';
import { entryComponents } from './entry-io.js';
import { makeTempDir, requireFile } from './store-fs.js';
import type { ImageStore } from './store.js';

/** A regular file inside `root` named by an archive-relative path, or an error. */
export function insidePath(root: string, rel: string): string {
  const comps = entryComponents(rel);
  let cur = root;
  for (const [i, c] of comps.entries()) {
    cur = join(cur, c);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      throw new TscError('IMAGE', `archive has no file ${JSON.stringify(rel)}`);
    }
    const last = i === comps.length - 1;
    if (last ? !st.isFile() : !st.isDirectory()) throw new TscError('IMAGE', `archive path ${JSON.stringify(rel)} is not a regular file inside the archive`);
  }
  if (comps.length === 0) throw new TscError('IMAGE', 'empty path in archive');
  return cur;
}

const stream = (p: string): fs.ReadStream => fs.createReadStream(p, { highWaterMark: 1 << 20 });

export async function loadArchive(store: ImageStore, file: string): Promise<LocalImage[]> {
  if (file !== '-') requireFile(file);
  const work = makeTempDir(store.tmpRoot, 'load');
  try {
    const got = await unpackLayerStream(file === '-' ? process.stdin : stream(file), work, store.options.limits);
    if (got.compressedSize === 0) throw new TscError('IMAGE', file === '-' ? 'requested load from stdin, but stdin is empty' : `${file} is empty`);
    if (file === '-') file = 'stdin';
    if (fs.existsSync(join(work, 'manifest.json'))) return await loadDockerSave(store, work);
    if (fs.existsSync(join(work, 'index.json'))) return await loadOciLayout(store, work);
    if (fs.existsSync(join(work, 'repositories')))
      throw new TscError('IMAGE', `${file}: a legacy docker-save archive (only a "repositories" file, Docker before 1.10) is not supported; save it again with a newer Docker or skopeo`);
    throw new TscError('IMAGE', `${file}: neither a docker-save archive (manifest.json) nor an OCI layout (index.json)`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function loadDockerSave(store: ImageStore, dir: string): Promise<LocalImage[]> {
  const m = parseJson(fs.readFileSync(insidePath(dir, 'manifest.json')), 'manifest.json');
  if (!Array.isArray(m)) throw new TscError('IMAGE', 'manifest.json is not a list');
  const out: LocalImage[] = [];
  for (const entry of m as unknown[]) {
    if (typeof entry !== 'object' || entry === null) throw new TscError('IMAGE', 'manifest.json entry is not an object');
    const e = entry as Record<string, unknown>;
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string'))
      throw new TscError('IMAGE', 'manifest.json entry needs Config and Layers');
    const raw = fs.readFileSync(insidePath(dir, e.Config));
    const cfg = parseImageConfig(raw);
    const layers = e.Layers as string[];
    if (layers.length !== cfg.diffIds.length) throw new TscError('IMAGE', `${e.Config}: ${layers.length} layers but ${cfg.diffIds.length} diff_ids`);
    for (const [i, l] of layers.entries()) {
      const p = insidePath(dir, l);
      await store.installLayer(() => stream(p), { diffId: cfg.diffIds[i]! });
    }
    const id = store.putBlob(raw);
    const tags = Array.isArray(e.RepoTags) ? e.RepoTags.filter((t): t is string => typeof t === 'string').map(normalizeReference) : [];
    const rec = { id, diffIds: cfg.diffIds, os: cfg.os, architecture: cfg.architecture, config: cfg.runtime, ...(cfg.created ? { created: cfg.created } : {}) };
    out.push(await store.saveImage(rec, tags));
  }
  return out;
}

function readBlob(dir: string, d: Descriptor, max = 16 << 20): Buffer {
  if (d.size > max) throw new TscError('IMAGE', `${d.digest}: ${d.size} bytes is too large for a manifest or config`);
  const b = fs.readFileSync(insidePath(dir, `blobs/sha256/${digestHex(d.digest)}`));
  if (b.length !== d.size || `sha256:${createHash('sha256').update(b).digest('hex')}` !== d.digest)
    throw new TscError('IMAGE', `blob ${d.digest} in the archive does not match its descriptor`);
  return b;
}

/** The image's name from OCI annotations, when it is a full reference (skopeo writes a bare tag). */
function ociName(d: Descriptor): string[] {
  const n = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
  if (!n || !/[/:]/.test(n) || /^[\w][\w.-]*$/.test(n)) return [];
  try {
    return [normalizeReference(n)];
  } catch {
    return [];
  }
}

async function loadOciLayout(store: ImageStore, dir: string): Promise<LocalImage[]> {
  const idx = parseManifest(fs.readFileSync(insidePath(dir, 'index.json')), 'application/vnd.oci.image.index.v1+json');
  if (idx.kind !== 'index') throw new TscError('IMAGE', 'index.json is not an image index');
  const out: LocalImage[] = [];
  for (const top of idx.manifests) {
    let d = top;
    let m = parseManifest(readBlob(dir, d), d.mediaType);
    for (let depth = 0; m.kind === 'index'; depth++) {
      const pick = depth < 2 ? selectPlatform(m.manifests, hostArchitecture()) : undefined;
      if (!pick) throw new TscError('IMAGE', `no image for this platform in ${d.digest}`);
      d = pick;
      m = parseManifest(readBlob(dir, d), d.mediaType);
    }
    const raw = readBlob(dir, m.config);
    const cfg = parseImageConfig(raw);
    if (cfg.diffIds.length !== m.layers.length) throw new TscError('IMAGE', `${d.digest}: ${m.layers.length} layers but ${cfg.diffIds.length} diff_ids`);
    for (const [i, l] of m.layers.entries()) {
      const p = insidePath(dir, `blobs/sha256/${digestHex(l.digest)}`);
      await store.installLayer(() => stream(p), { diffId: cfg.diffIds[i]!, digest: l.digest, size: l.size });
    }
    const id = store.putBlob(raw);
    const rec = { id, manifestDigest: d.digest, diffIds: cfg.diffIds, os: cfg.os, architecture: cfg.architecture, config: cfg.runtime, ...(cfg.created ? { created: cfg.created } : {}) };
    out.push(await store.saveImage(rec, ociName(top)));
  }
  return out;
}
