/**
 * Pulls from a real docker-registry on 127.0.0.1 filled by skopeo from tarballs the fixture builds:
 * by tag (Docker schema2 and OCI manifests), by digest, through a multi-arch index, and a second image
 * sharing the base layer fetches only its own layer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/image/store.js';
import { lastPullStats } from '../../src/image/pull.js';
import { hostArchitecture } from '../../src/image/config.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { buildImageTar, tarDir } from '../helpers/image-tar.js';
import { httpGet, pushBlob, pushManifest, removeRegistry, sha256, skopeoCopy, startRegistry, type LocalRegistry } from '../helpers/registry.js';

const work = mkdtempSync(join(tmpdir(), `tsc-img-pull-${process.pid}-`));
let reg: LocalRegistry | undefined;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function layerDir(name: string, files: Record<string, string>): string {
  const d = join(work, name);
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), c);
  }
  return d;
}

beforeAll(async () => {
  reg = await startRegistry();
  const app = layerDir('app', { 'app/hello.txt': 'hello\n', 'etc/app.conf': 'x=1\n' });
  const docker = buildImageTar([busyboxRootfs(), app], join(work, 'docker.tar'), { format: 'docker', config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh', '-c', 'echo hi'], WorkingDir: '/app', ExposedPorts: { '80/tcp': {} }, User: '33', StopSignal: 'SIGQUIT', Labels: { 'x.y': 'z' } } });
  await skopeoCopy(`docker-archive:${docker.file}`, reg.host, 'test/busybox:1');
  const oci = buildImageTar([busyboxRootfs()], join(work, 'oci.tar'), { format: 'oci', ref: 'v1' });
  await skopeoCopy(`oci-archive:${oci.file}`, reg.host, 'test/ocibox:1');
  const other = layerDir('other', { 'other.txt': 'other\n' });
  await skopeoCopy(`docker-archive:${buildImageTar([busyboxRootfs(), other], join(work, 'other.tar'), { format: 'docker' }).file}`, reg.host, 'test/other:1');
});

afterAll(async () => {
  await removeRegistry(reg);
  rmSync(work, { recursive: true, force: true });
});

const newStore = (): ImageStore => new ImageStore({ root: mkdtempSync(join(work, 'root-')) });

describe('pull from a local registry', () => {
  it('pulls a Docker schema2 image by tag, unpacks its layers and parses its config', async () => {
    const store = newStore();
    const phases = new Set<string>();
    const img = await store.ensure(`${reg!.host}/test/busybox:1`, 'missing', (p) => phases.add(p.phase));
    expect(img.references).toContain(`${reg!.host}/test/busybox:1`);
    expect(img.manifestDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(img.layerDirs).toHaveLength(2);
    expect(readFileSync(join(img.layerDirs[1]!, 'app/hello.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(img.layerDirs[0]!, 'bin/busybox')).length).toBeGreaterThan(100_000);
    expect(img.config).toMatchObject({ cmd: ['sh', '-c', 'echo hi'], env: ['PATH=/bin', 'A=1'], workingDir: '/app', exposedPorts: ['80/tcp'], user: '33', stopSignal: 'SIGQUIT', labels: { 'x.y': 'z' } });
    expect(phases.has('resolving') && phases.has('done')).toBe(true);
    expect((await store.get(`${reg!.host}/test/busybox@${img.manifestDigest}`))?.id).toBe(img.id);
    // present now: policy missing does not contact the registry again
    const again = await store.ensure(`${reg!.host}/test/busybox:1`, 'missing', (p) => phases.add(`again-${p.phase}`));
    expect(again.id).toBe(img.id);
    expect(phases.has('again-exists')).toBe(true);
  });

  it('pulls by digest and verifies the manifest digest', async () => {
    const store = newStore();
    const head = await httpGet(`http://${reg!.host}/v2/test/busybox/manifests/1`, { Accept: 'application/vnd.docker.distribution.manifest.v2+json' });
    const digest = sha256(head.body);
    const img = await store.ensure(`${reg!.host}/test/busybox@${digest}`, 'always');
    expect(img.manifestDigest).toBe(digest);
    expect(img.references).toEqual([`${reg!.host}/test/busybox@${digest}`]);
    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(store.ensure(`${reg!.host}/test/busybox@${wrong}`, 'always')).rejects.toMatchObject({ code: 'REGISTRY' });
  });

  it('pulls an OCI manifest', async () => {
    const store = newStore();
    const img = await store.ensure(`${reg!.host}/test/ocibox:1`, 'always');
    expect(img.layerDirs).toHaveLength(1);
    expect(img.config.cmd).toEqual(['sh']);
  });

  it('picks linux + this architecture from a multi-arch index and skips attestations', async () => {
    const host = reg!.host;
    const arch = hostArchitecture().architecture;
    const mine = await httpGet(`http://${host}/v2/test/ocibox/manifests/1`, { Accept: OCI_MANIFEST });
    // a second platform: same layer, different config
    const parsed = JSON.parse(mine.body.toString()) as { config: { digest: string }; layers: unknown[] };
    const cfg = JSON.parse((await httpGet(`http://${host}/v2/test/ocibox/blobs/${parsed.config.digest}`)).body.toString()) as Record<string, unknown>;
    const foreignCfg = Buffer.from(JSON.stringify({ ...cfg, architecture: 'foreignarch' }));
    await pushBlob(host, 'test/multi', foreignCfg);
    for (const l of parsed.layers as Array<{ digest: string }>) {
      await pushBlob(host, 'test/multi', (await httpGet(`http://${host}/v2/test/ocibox/blobs/${l.digest}`)).body);
    }
    await pushBlob(host, 'test/multi', (await httpGet(`http://${host}/v2/test/ocibox/blobs/${parsed.config.digest}`)).body);
    const foreign = Buffer.from(JSON.stringify({ ...parsed, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(foreignCfg), size: foreignCfg.length } }));
    const d1 = await pushManifest(host, 'test/multi', sha256(foreign), foreign, OCI_MANIFEST);
    const d2 = await pushManifest(host, 'test/multi', sha256(mine.body), mine.body, OCI_MANIFEST);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: OCI_MANIFEST, digest: d1, size: foreign.length, platform: { os: 'linux', architecture: arch === 'arm64' ? 's390x' : 'arm64' } },
        { mediaType: OCI_MANIFEST, digest: d1, size: foreign.length, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
        { mediaType: 'application/vnd.example.unknown+json', digest: d1, size: foreign.length },
        { mediaType: OCI_MANIFEST, digest: d2, size: mine.body.length, platform: { os: 'linux', architecture: arch } },
      ],
    }));
    const top = await pushManifest(host, 'test/multi', 'multi', index, 'application/vnd.oci.image.index.v1+json');
    const img = await newStore().ensure(`${host}/test/multi:multi`, 'missing');
    expect(img.id).toBe(parsed.config.digest);
    expect(img.architecture).toBe(cfg.architecture);
    expect(img.manifestDigest).toBe(top);
    expect(img.references).toEqual(expect.arrayContaining([`${host}/test/multi:multi`, `${host}/test/multi@${top}`, `${host}/test/multi@${d2}`]));
  });

  it('a second image sharing the base layer fetches only its own layer', async () => {
    const store = newStore();
    await store.ensure(`${reg!.host}/test/busybox:1`, 'always');
    const first = lastPullStats.get(store.dir)!;
    expect(first.layersFetched).toBe(2);
    const other = await store.ensure(`${reg!.host}/test/other:1`, 'always');
    const second = lastPullStats.get(store.dir)!;
    expect(second.layersFetched).toBe(1);
    expect(second.layersPresent).toBe(1);
    expect(second.bytesFetched).toBeLessThan(first.bytesFetched / 10);
    expect(readFileSync(join(other.layerDirs[1]!, 'other.txt'), 'utf8')).toBe('other\n');
  });

  it('pulls an OCI image with a zstd layer', async () => {
    const host = reg!.host;
    const tar = readFileSync(tarDir(layerDir('zst', { 'z/file.txt': 'zstd layer\n' }), join(work, 'zst.tar')));
    execFileSync('zstd', ['-q', '-f', '-3', join(work, 'zst.tar'), '-o', join(work, 'zst.tar.zst')]);
    const zst = readFileSync(join(work, 'zst.tar.zst'));
    const cfg = Buffer.from(JSON.stringify({ architecture: hostArchitecture().architecture, os: 'linux', config: { Cmd: ['cat', '/z/file.txt'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
    await pushBlob(host, 'test/zstd', zst);
    await pushBlob(host, 'test/zstd', cfg);
    const man = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(cfg), size: cfg.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: sha256(zst), size: zst.length }],
    }));
    await pushManifest(host, 'test/zstd', '1', man, OCI_MANIFEST);
    const img = await newStore().ensure(`${host}/test/zstd:1`, 'missing');
    expect(readFileSync(join(img.layerDirs[0]!, 'z/file.txt'), 'utf8')).toBe('zstd layer\n');
    expect(img.config.cmd).toEqual(['cat', '/z/file.txt']);
  });

  it('two stores on one root pulling the same image at once both succeed and share one copy of each layer', async () => {
    const root = mkdtempSync(join(work, 'shared-'));
    const [a, b] = await Promise.all([new ImageStore({ root }), new ImageStore({ root })].map((s) => s.ensure(`${reg!.host}/test/busybox:1`, 'always')));
    expect(a!.layerDirs).toEqual(b!.layerDirs);
    expect(readdirSync(join(root, 'images/layers')).sort()).toEqual(a!.layerDirs.map((l) => l.split('/').at(-2)).sort());
    expect(readdirSync(join(root, 'images/tmp'))).toEqual([]);
  });

  it('loads docker-archive and oci-archive tarballs written by skopeo', async () => {
    const { loadArchive } = await import('../../src/image/load.js');
    const { promisify } = await import('node:util');
    const { execFile } = await import('node:child_process');
    const src = `docker://${reg!.host}/test/busybox:1`;
    const docker = join(work, 'skopeo-docker.tar');
    const oci = join(work, 'skopeo-oci.tar');
    await promisify(execFile)('skopeo', ['copy', '--quiet', '--insecure-policy', '--src-tls-verify=false', src, `docker-archive:${docker}:example.com/skopeo/box:7`]);
    await promisify(execFile)('skopeo', ['copy', '--quiet', '--insecure-policy', '--src-tls-verify=false', src, `oci-archive:${oci}:example.com/skopeo/box:8`]);
    const store = newStore();
    const [a] = await loadArchive(store, docker);
    const [b] = await loadArchive(store, oci);
    expect(a!.references).toEqual(['example.com/skopeo/box:7']);
    expect(b!.references).toEqual(['example.com/skopeo/box:8']);
    expect(a!.layerDirs).toEqual(b!.layerDirs);
    expect(readFileSync(join(a!.layerDirs[1]!, 'app/hello.txt'), 'utf8')).toBe('hello\n');
  });
});
