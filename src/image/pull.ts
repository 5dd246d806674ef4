/**
 * Pull one image: resolve the manifest (an index resolves to linux + this architecture), fetch and verify
 * the config, then download the layers that are not in the store yet, in parallel, each streamed straight
 * into the unpacker (digest, size and diff_id verified before the layer is renamed into place). A layer
 * download that fails on a transient error (connection reset, registry gone, 5xx) is retried from the
 * start with back-off. References are written last: a failed pull leaves no image and no half layer.
 */
import { TscError } from '../errors.js';
import type { LocalImage, PullProgress } from './api.js';
import { pinLayers } from './admin.js';
import { loadCredentials } from './auth.js';
import { hostArchitecture, parseImageConfig } from './config.js';
import { parseManifest, selectPlatform, type Descriptor } from './manifest.js';
import { formatReference, parseReference, repositoryName } from './reference.js';
import { isTransientError, RegistryClient } from './registry.js';
import type { ImageStore } from './store.js';

const MAX_CONFIG = 16 << 20;

export interface PullStats {
  /** Compressed bytes of the layers downloaded by this pull. */
  bytesFetched: number;
  layersFetched: number;
  layersPresent: number;
}

/** Per store path: the bytes fetched by the last pull (benchmarks and tests read it). */
export const lastPullStats = new Map<string, PullStats>();

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}

export async function pullImage(store: ImageStore, canon: string, onProgress?: (p: PullProgress) => void): Promise<LocalImage> {
  const ref = parseReference(canon);
  const repo = repositoryName(ref);
  const emit = (p: Omit<PullProgress, 'ref'>): void => onProgress?.({ ref: canon, ...p });
  const client = new RegistryClient(ref.domain, {
    ...(store.options.insecureRegistries ? { insecure: store.options.insecureRegistries } : {}),
    credentials: loadCredentials(store.options.dockerConfig),
  });
  emit({ phase: 'resolving' });
  const top = await client.getManifest(ref.path, ref.digest ?? ref.tag ?? 'latest');
  if (ref.digest && top.digest !== ref.digest) throw new TscError('REGISTRY', `manifest digest mismatch: asked for ${ref.digest}, got ${top.digest}`);
  let m = parseManifest(top.body, top.mediaType);
  let body = top.body;
  let digest = top.digest;
  for (let depth = 0; m.kind === 'index'; depth++) {
    const arch = hostArchitecture();
    const pick = depth < 2 ? selectPlatform(m.manifests, arch) : undefined;
    if (!pick) throw new TscError('REGISTRY', `${canon}: no image for linux/${arch.architecture}${arch.variant ? `/${arch.variant}` : ''} in the index`);
    const sub = await client.getManifest(ref.path, pick.digest);
    if (sub.digest !== pick.digest || sub.body.length !== pick.size)
      throw new TscError('REGISTRY', `manifest ${pick.digest}: digest or size mismatch (got ${sub.digest}, ${sub.body.length} bytes)`);
    m = parseManifest(sub.body, pick.mediaType || sub.mediaType);
    body = sub.body;
    digest = sub.digest;
  }
  const cfgRaw = await client.blobBytes(ref.path, m.config.digest, Math.min(m.config.size, MAX_CONFIG));
  if (cfgRaw.length !== m.config.size) throw new TscError('REGISTRY', `config ${m.config.digest}: size mismatch`);
  const id = store.putBlob(cfgRaw, m.config.digest);
  const cfg = parseImageConfig(cfgRaw);
  if (cfg.diffIds.length !== m.layers.length)
    throw new TscError('REGISTRY', `${canon}: ${m.layers.length} layers but ${cfg.diffIds.length} diff_ids in the config`);

  const stats: PullStats = { bytesFetched: 0, layersFetched: 0, layersPresent: 0 };
  const layers = m.layers;
  return pinLayers(store, cfg.diffIds, async () => {
    await mapLimit(layers, store.options.concurrency ?? 3, (desc, i) => fetchLayer(store, client, ref.path, desc, cfg.diffIds[i]!, emit, stats));
    lastPullStats.set(store.dir, stats);
    store.putBlob(body, digest);
    if (digest !== top.digest) store.putBlob(top.body, top.digest);
    const refs = [`${repo}@${top.digest}`];
    if (digest !== top.digest) refs.push(`${repo}@${digest}`);
    if (!ref.digest) refs.push(formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag ?? 'latest' }));
    const rec = { id, manifestDigest: top.digest, diffIds: cfg.diffIds, os: cfg.os, architecture: cfg.architecture, config: cfg.runtime, ...(cfg.created ? { created: cfg.created } : {}) };
    const img = await store.saveImage(rec, refs);
    emit({ phase: 'done' });
    return img;
  });
}

async function fetchLayer(
  store: ImageStore, client: RegistryClient, repo: string, desc: Descriptor, diffId: string,
  emit: (p: Omit<PullProgress, 'ref'>) => void, stats: PullStats,
): Promise<void> {
  const layer = desc.digest;
  if (store.layer(diffId)) {
    stats.layersPresent++;
    emit({ layer, phase: 'exists', totalBytes: desc.size });
    return;
  }
  for (let attempt = 1; ; attempt++) {
    let got = 0;
    try {
      const r = await store.installLayer(async () => {
        const res = await client.blob(repo, desc.digest);
        emit({ layer, phase: 'downloading', currentBytes: 0, totalBytes: desc.size });
        return (async function* () {
          let last = 0;
          for await (const c of res) {
            got += (c as Buffer).length;
            if (got - last >= 1 << 20) {
              last = got;
              emit({ layer, phase: 'downloading', currentBytes: got, totalBytes: desc.size });
            }
            yield c as Buffer;
          }
          emit({ layer, phase: 'verifying', currentBytes: got, totalBytes: desc.size });
        })();
      }, { diffId, digest: desc.digest, size: desc.size });
      stats.bytesFetched += got;
      if (r.fetched) stats.layersFetched++;
      else stats.layersPresent++;
      emit({ layer, phase: r.fetched ? 'done' : 'exists', currentBytes: got, totalBytes: desc.size });
      return;
    } catch (e) {
      stats.bytesFetched += got;
      if (attempt >= 3 || !isTransientError(e instanceof TscError && e.cause !== undefined ? e.cause : e)) throw wrap(e, desc);
      await new Promise((res) => setTimeout(res, 300 * 2 ** attempt));
    }
  }
}

function wrap(e: unknown, desc: Descriptor): TscError {
  if (e instanceof TscError) return e;
  return new TscError('REGISTRY', `layer ${desc.digest}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
