/**
 * Manifests and indexes (pure): Docker schema2 manifest / manifest list and OCI manifest / index, parsed
 * field by field, digests validated, media types checked (CVE-2021-41190: a body must be what it claims),
 * and the index entry for linux + this machine's architecture chosen (attestation entries skipped,
 * unknown media types ignored as the image spec requires).
 */
import { TscError } from '../errors.js';
import { parseJson } from './config.js';
import { isDigest } from './reference.js';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const CONFIG_TYPES = new Set(['application/vnd.docker.container.image.v1+json', 'application/vnd.oci.image.config.v1+json']);
const LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

export type ParsedManifest =
  | { kind: 'index'; manifests: Descriptor[] }
  | { kind: 'manifest'; config: Descriptor; layers: Descriptor[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (why: string): TscError => new TscError('REGISTRY', `invalid manifest: ${why}`);

function descriptor(v: unknown): Descriptor {
  if (!isObj(v)) throw bad('descriptor is not an object');
  const { mediaType, digest, size } = v;
  if (typeof digest !== 'string' || !isDigest(digest)) throw bad(`bad digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`bad size for ${digest}`);
  const d: Descriptor = { mediaType: typeof mediaType === 'string' ? mediaType : '', digest, size };
  if (isObj(v.platform)) {
    const p = v.platform;
    d.platform = {};
    if (typeof p.os === 'string') d.platform.os = p.os;
    if (typeof p.architecture === 'string') d.platform.architecture = p.architecture;
    if (typeof p.variant === 'string') d.platform.variant = p.variant;
  }
  if (isObj(v.annotations)) {
    d.annotations = {};
    for (const [k, a] of Object.entries(v.annotations)) if (typeof a === 'string') d.annotations[k] = a;
  }
  return d;
}

/** Parse a manifest or index body; `contentType` is the HTTP Content-Type (or the descriptor's media type). */
export function parseManifest(body: Buffer, contentType: string): ParsedManifest {
  const j = parseJson(body, 'manifest');
  if (!isObj(j)) throw bad('not an object');
  if (j.schemaVersion !== 2) throw bad(`unsupported schemaVersion ${String(j.schemaVersion)} (schema 1 is not supported)`);
  const declared = typeof j.mediaType === 'string' ? j.mediaType : '';
  const isIndex = Array.isArray(j.manifests);
  const type = declared || contentType;
  if (declared && contentType && ![declared, 'application/json', 'application/octet-stream', 'text/plain'].includes(contentType))
    throw bad(`body says ${declared} but was served as ${contentType}`);
  if (isIndex) {
    if (type && type !== OCI_INDEX && type !== DOCKER_LIST) throw bad(`index with media type ${type}`);
    return { kind: 'index', manifests: (j.manifests as unknown[]).map(descriptor) };
  }
  if (type && type !== OCI_MANIFEST && type !== DOCKER_MANIFEST) throw bad(`unsupported manifest media type ${type}`);
  if (!Array.isArray(j.layers)) throw bad('no layers');
  const config = descriptor(j.config);
  if (config.mediaType && !CONFIG_TYPES.has(config.mediaType)) throw bad(`not a container image (config media type ${config.mediaType})`);
  const layers = j.layers.map(descriptor);
  for (const l of layers) if (l.mediaType && !LAYER_TYPES.has(l.mediaType)) throw bad(`unsupported layer media type ${l.mediaType}`);
  return { kind: 'manifest', config, layers };
}

function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown';
}

/** Pick the entry for linux/`arch` (variant preferred when it matches; amd64 accepts any v1..v4 variant). */
export function selectPlatform(index: Descriptor[], arch: { architecture: string; variant?: string }): Descriptor | undefined {
  const known = index.filter((d) => [DOCKER_MANIFEST, OCI_MANIFEST, DOCKER_LIST, OCI_INDEX, ''].includes(d.mediaType) && !isAttestation(d));
  const linux = known.filter((d) => d.platform && (d.platform.os ?? 'linux') === 'linux' && d.platform.architecture === arch.architecture);
  const exact = linux.find((d) => (d.platform?.variant ?? '') === (arch.variant ?? ''));
  if (exact) return exact;
  if (arch.architecture === 'arm64') {
    const v8 = linux.find((d) => !d.platform?.variant || d.platform.variant === 'v8');
    if (v8) return v8;
  }
  if (linux.length > 0) return linux.find((d) => !d.platform?.variant || d.platform.variant === 'v1') ?? linux[0];
  const noPlatform = known.filter((d) => !d.platform);
  return noPlatform.length === 1 ? noPlatform[0] : undefined;
}
