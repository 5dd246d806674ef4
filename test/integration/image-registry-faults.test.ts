/**
 * The registry client against a small fault-injecting registry (Node, 127.0.0.1, in-memory image):
 * transient failures (503, 429, a connection reset before and in the middle of a body) are retried; a
 * registry that lies (wrong manifest digest, blob size, config digest, diff_id) is refused and nothing is
 * stored; a manifest list picks linux/<this arch>; plain http is used only for loopback and listed hosts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ImageStore } from '../../src/image/store.js';
import { RegistryClient } from '../../src/image/registry.js';
import { hostArchitecture } from '../../src/image/config.js';
import { tarBuffer } from '../helpers/tar-writer.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const work = mkdtempSync(join(tmpdir(), `tsc-img-faults-${process.pid}-`));
const payload = randomBytes(4 << 20); // incompressible: a reset lands in the middle of the body
const layerTar = tarBuffer([{ name: 'data.bin', data: payload }, { name: 'hello.txt', data: 'hi\n' }]);
const layer = gzipSync(layerTar, { level: 1 });

function image(diffId = sha(layerTar)): { config: Buffer; manifest: Buffer } {
  const config = Buffer.from(JSON.stringify({ architecture: hostArchitecture().architecture, os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha(layer), size: layer.length }],
  }));
  return { config, manifest };
}

/** path → content type + body; faults: path → list of one-shot misbehaviours, consumed in order */
const content = new Map<string, { type: string; body: Buffer; digestHeader?: string }>();
const faults = new Map<string, Array<'503' | '429' | 'reset-headers' | 'reset-body'>>();
const hits = new Map<string, number>();
let server: http.Server | undefined;
let host = '';

function put(repo: string, tag: string, img: { config: Buffer; manifest: Buffer }, manifestType = 'application/vnd.docker.distribution.manifest.v2+json'): void {
  content.set(`/v2/${repo}/manifests/${tag}`, { type: manifestType, body: img.manifest });
  content.set(`/v2/${repo}/manifests/${sha(img.manifest)}`, { type: manifestType, body: img.manifest });
  content.set(`/v2/${repo}/blobs/${sha(img.config)}`, { type: 'application/octet-stream', body: img.config });
  content.set(`/v2/${repo}/blobs/${sha(layer)}`, { type: 'application/octet-stream', body: layer });
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const f = faults.get(path)?.shift();
    if (f === '503' || f === '429') return void res.writeHead(Number(f)).end();
    if (f === 'reset-headers') return void req.socket.destroy();
    const c = content.get(path);
    if (!c) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"not here"}]}');
    res.writeHead(200, { 'Content-Type': c.type, 'Content-Length': String(c.body.length), 'Docker-Content-Digest': c.digestHeader ?? sha(c.body) });
    if (f === 'reset-body') {
      res.write(c.body.subarray(0, c.body.length >> 1), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(c.body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const a = server.address();
  host = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  content.clear();
  faults.clear();
  hits.clear();
});

const newStore = (): ImageStore => new ImageStore({ root: mkdtempSync(join(work, 'root-')) });

function nothingStored(store: ImageStore): void {
  const ls = (d: string): string[] => (existsSync(join(store.dir, d)) ? readdirSync(join(store.dir, d)) : []);
  expect(ls('imagedb')).toEqual([]);
  expect(ls('layers')).toEqual([]);
  expect(ls('tmp')).toEqual([]);
}

describe('transient registry failures are retried', () => {
  it('503, 429 and a reset mid-body on the manifest, resets before and in the config, a reset in the middle of the layer body', async () => {
    const img = image();
    put('t/app', '1', img);
    faults.set('/v2/t/app/manifests/1', ['503', '429', 'reset-body']);
    faults.set(`/v2/t/app/blobs/${sha(img.config)}`, ['reset-headers', 'reset-body']);
    faults.set(`/v2/t/app/blobs/${sha(layer)}`, ['reset-body']);
    const store = newStore();
    const got = await store.ensure(`${host}/t/app:1`, 'missing');
    expect(readFileSync(join(got.layerDirs[0]!, 'hello.txt'), 'utf8')).toBe('hi\n');
    expect(hits.get('/v2/t/app/manifests/1')).toBe(4);
    expect(hits.get(`/v2/t/app/blobs/${sha(img.config)}`)).toBe(3);
    expect(hits.get(`/v2/t/app/blobs/${sha(layer)}`)).toBe(2);
    expect(readdirSync(join(store.dir, 'tmp'))).toEqual([]);
  });

  it('gives up after repeated 5xx with a clear error', async () => {
    put('t/down', '1', image());
    faults.set('/v2/t/down/manifests/1', ['503', '503', '503', '503', '503', '503']);
    const store = newStore();
    await expect(store.ensure(`${host}/t/down:1`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY', message: expect.stringMatching(/HTTP 503/) });
  });
});

describe('a registry that lies is refused, and nothing is stored', () => {
  it('a manifest whose Docker-Content-Digest does not match its body', async () => {
    const img = image();
    put('t/lie', '1', img);
    content.get('/v2/t/lie/manifests/1')!.digestHeader = `sha256:${'0'.repeat(64)}`;
    const store = newStore();
    await expect(store.ensure(`${host}/t/lie:1`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY', message: expect.stringMatching(/does not match/) });
    nothingStored(store);
  });

  it('a manifest fetched by digest whose body has another digest', async () => {
    const img = image();
    put('t/bydigest', '1', img);
    const other = image(sha(Buffer.from('x')));
    content.set(`/v2/t/bydigest/manifests/${sha(img.manifest)}`, { type: 'application/vnd.docker.distribution.manifest.v2+json', body: other.manifest, digestHeader: sha(img.manifest) });
    const store = newStore();
    await expect(store.ensure(`${host}/t/bydigest@${sha(img.manifest)}`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY' });
    nothingStored(store);
  });

  it('a layer blob longer than its descriptor says, and a config whose digest is wrong', async () => {
    const img = image();
    put('t/size', '1', img);
    content.set(`/v2/t/size/blobs/${sha(layer)}`, { type: 'application/octet-stream', body: Buffer.concat([layer, Buffer.alloc(10)]) });
    const store = newStore();
    await expect(store.ensure(`${host}/t/size:1`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY' });
    nothingStored(store);
    put('t/cfg', '1', img);
    content.set(`/v2/t/cfg/blobs/${sha(img.config)}`, { type: 'application/octet-stream', body: Buffer.from(img.config.toString().replace('"sh"', '"ls"')) });
    await expect(store.ensure(`${host}/t/cfg:1`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY', message: expect.stringMatching(/digest mismatch/) });
    nothingStored(store);
  });

  it('a layer whose uncompressed content does not match the config diff_id', async () => {
    put('t/diffid', '1', image(sha(Buffer.from('something else'))));
    const store = newStore();
    await expect(store.ensure(`${host}/t/diffid:1`, 'missing')).rejects.toMatchObject({ code: 'IMAGE', message: expect.stringMatching(/diff_id/) });
    nothingStored(store);
  });
});

describe('concurrent pulls', () => {
  it('two stores on one root (as two processes) pulling the same image at once download each layer once', async () => {
    const img = image();
    put('t/shared', '1', img);
    const root = mkdtempSync(join(work, 'shared-'));
    const [a, b] = await Promise.all([new ImageStore({ root }), new ImageStore({ root })].map((s) => s.ensure(`${host}/t/shared:1`, 'always')));
    expect(a!.layerDirs).toEqual(b!.layerDirs);
    expect(hits.get(`/v2/t/shared/blobs/${sha(layer)}`)).toBe(1);
    expect(readdirSync(join(root, 'images/tmp'))).toEqual([]);
    expect(readdirSync(join(root, 'images/locks'))).toEqual([]);
  });
});

describe('manifest lists and transport', () => {
  it('a Docker manifest list: the linux/<this arch> entry is pulled, others never fetched', async () => {
    const img = image();
    put('t/multi', 'x', img);
    const decoy = `sha256:${'d'.repeat(64)}`;
    const { architecture, variant } = hostArchitecture();
    const list = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [
        { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: decoy, size: 10, platform: { os: 'linux', architecture: architecture === 's390x' ? 'ppc64le' : 's390x' } },
        { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: decoy, size: 10, platform: { os: 'windows', architecture } },
        { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: sha(img.manifest), size: img.manifest.length, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } },
      ],
    }));
    content.set('/v2/t/multi/manifests/1', { type: 'application/vnd.docker.distribution.manifest.list.v2+json', body: list });
    const store = newStore();
    const got = await store.ensure(`${host}/t/multi:1`, 'missing');
    expect(got.manifestDigest).toBe(sha(list));
    expect(hits.get(`/v2/t/multi/manifests/${decoy}`)).toBeUndefined();
    expect(readFileSync(join(got.layerDirs[0]!, 'hello.txt'), 'utf8')).toBe('hi\n');
  });

  it('plain http only for loopback and TSCOMPOSE_INSECURE_REGISTRIES; everything else is https', () => {
    expect(new RegistryClient('127.0.0.1:5000').base).toBe('http://127.0.0.1:5000');
    expect(new RegistryClient('localhost:5000').base).toBe('http://localhost:5000');
    expect(new RegistryClient('[::1]:5000').base).toBe('http://[::1]:5000');
    expect(new RegistryClient('registry.example.com:5000').base).toBe('https://registry.example.com:5000');
    expect(new RegistryClient('docker.io').base).toBe('https://registry-1.docker.io');
    expect(new RegistryClient('127.0.0.1.example.com').base).toBe('https://127.0.0.1.example.com');
    expect(new RegistryClient('registry.example.com:5000', { insecure: ['registry.example.com:5000'] }).base).toBe('http://registry.example.com:5000');
    const saved = process.env.TSCOMPOSE_INSECURE_REGISTRIES;
    process.env.TSCOMPOSE_INSECURE_REGISTRIES = 'a.example:5000, registry.example.com';
    try {
      expect(new RegistryClient('registry.example.com').base).toBe('http://registry.example.com');
      expect(new RegistryClient('registry.example.com:5000').base).toBe('https://registry.example.com:5000');
    } finally {
      if (saved === undefined) delete process.env.TSCOMPOSE_INSECURE_REGISTRIES;
      else process.env.TSCOMPOSE_INSECURE_REGISTRIES = saved;
    }
  });
});
