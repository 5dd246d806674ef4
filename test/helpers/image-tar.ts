/**
 * Test fixtures for images: a rootfs tarball for `image import`, and docker-save / OCI-layout tarballs
 * built from one or more rootfs directories (each becomes a gzip layer). Uses GNU tar (coreutils' partner,
 * always on Debian) for the layer tars and Node for the JSON and hashing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A tar of `dir`'s contents (names ./…, numeric owners). */
export function tarDir(dir: string, out: string): string {
  execFileSync('tar', ['--numeric-owner', '--xattrs', '-C', dir, '-cf', out, '.']);
  return out;
}

export interface BuiltImage {
  file: string;
  configDigest: string;
  manifestDigest: string;
  diffIds: string[];
}

export interface ImageTarOptions {
  format: 'docker' | 'oci';
  /** e.g. "example.com/busybox:1" (docker RepoTags / OCI ref.name annotation). */
  ref?: string;
  config?: Record<string, unknown>;
  architecture?: string;
}

/** Build an image tarball from rootfs layer dirs (base first). */
export function buildImageTar(layers: string[], out: string, opts: ImageTarOptions): BuiltImage {
  const work = mkdtempSync(join(tmpdir(), 'tsc-imgtar-'));
  try {
    return writeImageTar(work, layers, out, opts);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function writeImageTar(work: string, layers: string[], out: string, opts: ImageTarOptions): BuiltImage {
  const root = join(work, 'root');
  mkdirSync(join(root, 'blobs/sha256'), { recursive: true });
  const diffIds: string[] = [];
  const layerDescs: Array<{ mediaType: string; digest: string; size: number }> = [];
  const layerPaths: string[] = [];
  for (const [i, dir] of layers.entries()) {
    const raw = readFileSync(tarDir(dir, join(work, `l${i}.tar`)));
    const gz = gzipSync(raw, { level: 1 });
    diffIds.push(`sha256:${sha(raw)}`);
    writeFileSync(join(root, 'blobs/sha256', sha(gz)), gz);
    layerPaths.push(`blobs/sha256/${sha(gz)}`);
    layerDescs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(gz)}`, size: gz.length });
  }
  const config = Buffer.from(JSON.stringify({
    architecture: opts.architecture ?? 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: opts.config ?? { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  }));
  writeFileSync(join(root, 'blobs/sha256', sha(config)), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
    layers: layerDescs,
  }));
  writeFileSync(join(root, 'blobs/sha256', sha(manifest)), manifest);
  if (opts.format === 'oci') {
    writeFileSync(join(root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const ann = opts.ref ? { 'org.opencontainers.image.ref.name': opts.ref } : undefined;
    writeFileSync(join(root, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length, ...(ann ? { annotations: ann } : {}) }],
    }));
  } else {
    writeFileSync(join(root, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${sha(config)}`, RepoTags: opts.ref ? [opts.ref] : null, Layers: layerPaths }]));
  }
  execFileSync('tar', ['-C', root, '-cf', out, '.']);
  return { file: out, configDigest: `sha256:${sha(config)}`, manifestDigest: `sha256:${sha(manifest)}`, diffIds };
}
