/**
 * Pull failures against a real local registry: a corrupted blob (digest mismatch: error, nothing stored)
 * and a registry killed mid-pull (error, no half layer; after a restart a second pull completes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/image/store.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { buildImageTar } from '../helpers/image-tar.js';
import { pruneLayers } from '../../src/image/admin.js';
import { eventually } from '../helpers/eventually.js';
import { blobDataPath, httpGet, removeRegistry, skopeoCopy, startRegistry, type LocalRegistry } from '../helpers/registry.js';

const work = mkdtempSync(join(tmpdir(), `tsc-img-fail-${process.pid}-`));
let reg: LocalRegistry | undefined;
let bigDiffId = '';

beforeAll(async () => {
  reg = await startRegistry();
  const big = join(work, 'big');
  mkdirSync(big);
  writeFileSync(join(big, 'random.bin'), randomBytes(48 << 20)); // incompressible: the body outlives the socket buffers
  const built = buildImageTar([busyboxRootfs(), big], join(work, 'big.tar'), { format: 'docker' });
  bigDiffId = built.diffIds[1]!.slice(7);
  await skopeoCopy(`docker-archive:${built.file}`, reg.host, 'test/big:1');
  const small = join(work, 'small');
  mkdirSync(small);
  writeFileSync(join(small, 'f.txt'), 'corrupt me\n'.repeat(1000));
  await skopeoCopy(`docker-archive:${buildImageTar([small], join(work, 'small.tar'), { format: 'docker' }).file}`, reg.host, 'test/corrupt:1');
  rmSync(join(work, 'big'), { recursive: true });
}, 300_000);

afterAll(async () => {
  await removeRegistry(reg);
  rmSync(work, { recursive: true, force: true });
});

/** No image, no temp dir; any layer left is complete (its layer.json written last, before the rename). */
function noImageNoHalfLayer(store: ImageStore, absentLayer?: string): void {
  expect(readdirSync(join(store.dir, 'tmp'))).toEqual([]);
  expect(readdirSync(join(store.dir, 'imagedb'))).toEqual([]);
  for (const l of readdirSync(join(store.dir, 'layers'))) {
    expect(l).not.toBe(absentLayer);
    expect(statSync(join(store.dir, 'layers', l, 'layer.json')).isFile()).toBe(true);
  }
}

describe('pull failures', () => {
  it('refuses a blob whose content does not match its digest and stores nothing', async () => {
    const m = JSON.parse((await httpGet(`http://${reg!.host}/v2/test/corrupt/manifests/1`, { Accept: 'application/vnd.docker.distribution.manifest.v2+json' })).body.toString()) as { layers: Array<{ digest: string }> };
    const p = blobDataPath(reg!, m.layers[0]!.digest);
    const data = readFileSync(p);
    // same size, one byte different (bit rot or tampering on the way)
    const evil = Buffer.from(data);
    const mid = evil.length >> 1;
    evil.writeUInt8(evil.readUInt8(mid) ^ 0x55, mid);
    writeFileSync(p, evil);
    expect(statSync(p).size).toBe(data.length);
    const store = new ImageStore({ root: mkdtempSync(join(work, 'root-')) });
    await expect(store.ensure(`${reg!.host}/test/corrupt:1`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY', message: expect.stringMatching(/digest mismatch/) });
    noImageNoHalfLayer(store);
    expect(readdirSync(join(store.dir, 'layers'))).toEqual([]);
    expect(await store.get(`${reg!.host}/test/corrupt:1`)).toBeUndefined();
  });

  it('fails when the registry dies mid-pull, leaves no half layer, and a second pull completes', async () => {
    const store = new ImageStore({ root: mkdtempSync(join(work, 'root-')) });
    let killed = false;
    const ref = `${reg!.host}/test/big:1`;
    const pull = store.ensure(ref, 'missing', (p) => {
      if (!killed && p.phase === 'downloading') {
        killed = true;
        void reg!.stop();
      }
    });
    await expect(pull).rejects.toMatchObject({ code: 'REGISTRY' });
    expect(killed).toBe(true);
    noImageNoHalfLayer(store, bigDiffId);
    expect(await store.get(ref)).toBeUndefined();
    await reg!.restart();
    const img = await store.ensure(ref, 'missing');
    expect(statSync(join(img.layerDirs[1]!, 'random.bin')).size).toBe(48 << 20);
    expect(readdirSync(join(store.dir, 'tmp'))).toEqual([]);
  });

  it('a pull process killed mid-download leaves no image and no visible half layer; the next pull completes', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    const bin = fileURLToPath(new URL('../../bin/tscompose.js', import.meta.url));
    const ref = `${reg!.host}/test/big:1`;
    const child = spawn(process.execPath, [bin, 'image', 'pull', '-q', ref], { env: { ...process.env, TSCOMPOSE_ROOT: root }, stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      // a layer being unpacked shows up as tmp/layer-<pid>-*: kill the pull right then
      await eventually(() => existsSync(join(root, 'images/tmp')) && readdirSync(join(root, 'images/tmp')).some((n) => n.startsWith(`layer-${child.pid}-`)), { timeoutMs: 60_000, intervalMs: 5, what: 'pull in progress' });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const store = new ImageStore({ root });
    expect(await store.get(ref)).toBeUndefined();
    for (const l of readdirSync(join(store.dir, 'layers'))) expect(existsSync(join(store.dir, 'layers', l, 'layer.json'))).toBe(true);
    const img = await store.ensure(ref, 'missing');
    expect(statSync(join(img.layerDirs[1]!, 'random.bin')).size).toBe(48 << 20);
    await pruneLayers(store); // removes the dead process's temp dirs
    expect(readdirSync(join(store.dir, 'tmp'))).toEqual([]);
    expect(img.layerDirs.every((d) => existsSync(d))).toBe(true);
  });
});
