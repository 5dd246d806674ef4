/**
 * `image load` of docker-save and OCI-layout tarballs (plain and gzip), `image rm` and `image prune`,
 * and a hostile save archive whose manifest.json points through a symlink at a host file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ImageStore } from '../../src/image/store.js';
import { loadArchive } from '../../src/image/load.js';
import { pruneLayers, removeImage } from '../../src/image/admin.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { buildImageTar } from '../helpers/image-tar.js';
import { importBusybox } from '../helpers/busybox-image.js';
import { tarBuffer } from '../helpers/tar-writer.js';

const work = fs.mkdtempSync(join(tmpdir(), `tsc-img-load-${process.pid}-`));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const newStore = (): ImageStore => new ImageStore({ root: fs.mkdtempSync(join(work, 'root-')) });

function appDir(): string {
  const d = join(work, 'app');
  fs.mkdirSync(join(d, 'app'), { recursive: true });
  fs.writeFileSync(join(d, 'app/run.sh'), 'echo app\n');
  return d;
}

describe('image load', () => {
  it('loads a docker-save tarball with its tags, layers and config', async () => {
    const built = buildImageTar([busyboxRootfs(), appDir()], join(work, 'save.tar'), { format: 'docker', ref: 'example.com/team/app:2', config: { Entrypoint: ['/app/run.sh'], Env: ['A=1'] } });
    const store = newStore();
    const [img] = await loadArchive(store, built.file);
    expect(img!.id).toBe(built.configDigest);
    expect(img!.references).toEqual(['example.com/team/app:2']);
    expect(img!.config.entrypoint).toEqual(['/app/run.sh']);
    expect(fs.readFileSync(join(img!.layerDirs[1]!, 'app/run.sh'), 'utf8')).toBe('echo app\n');
    expect(fs.readdirSync(join(store.dir, 'tmp'))).toEqual([]);
  });

  it('loads a gzip-compressed OCI-layout tarball and checks blob digests', async () => {
    const built = buildImageTar([busyboxRootfs()], join(work, 'oci.tar'), { format: 'oci', ref: 'example.com/oci/box:1' });
    fs.writeFileSync(`${built.file}.gz`, gzipSync(fs.readFileSync(built.file), { level: 1 }));
    const store = newStore();
    const [img] = await loadArchive(store, `${built.file}.gz`);
    expect(img!.references).toEqual(['example.com/oci/box:1']);
    expect(img!.manifestDigest).toBe(built.manifestDigest);
    expect(img!.config.cmd).toEqual(['sh']);
  });

  it('refuses a save archive that points at a host file through a symlink', async () => {
    const evil = join(work, 'evil.tar');
    fs.writeFileSync(evil, tarBuffer([
      { name: 'cfg', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'cfg', RepoTags: ['evil:1'], Layers: [] }]) },
    ]));
    const store = newStore();
    await expect(loadArchive(store, evil)).rejects.toMatchObject({ code: 'IMAGE', message: expect.stringMatching(/not a regular file inside the archive/) });
    await expect(loadArchive(store, join(work, 'save.tar').replace('save', 'missing'))).rejects.toThrow();
    expect(await store.list()).toEqual([]);
  });

  it('a docker-save layer whose content does not match the config diff_id is refused', async () => {
    const root = join(work, 'mismatch');
    fs.mkdirSync(root);
    execFileSync('tar', ['-C', root, '-xf', join(work, 'save.tar')]);
    const m = JSON.parse(fs.readFileSync(join(root, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
    const other = tarBuffer([{ name: 'x', data: 'not the layer' }]);
    fs.writeFileSync(join(root, m[0]!.Layers[1]!), gzipSync(other));
    execFileSync('tar', ['-C', root, '-cf', join(work, 'mismatch.tar'), '.']);
    const store = newStore();
    await expect(loadArchive(store, join(work, 'mismatch.tar'))).rejects.toThrow(/wrong diff_id/);
    expect(await store.list()).toEqual([]);
  });
});

/** One archive holding several images: both tars unpacked into one dir, their manifest.json / index.json merged. */
function mergeArchives(files: string[], out: string, format: 'docker' | 'oci', edit: (entries: Array<Record<string, unknown>>) => void = () => undefined): string {
  const dir = fs.mkdtempSync(join(work, 'merge-'));
  const entries: Array<Record<string, unknown>> = [];
  for (const f of files) {
    execFileSync('tar', ['-C', dir, '-xf', f]);
    const name = format === 'docker' ? 'manifest.json' : 'index.json';
    const j = JSON.parse(fs.readFileSync(join(dir, name), 'utf8')) as Array<Record<string, unknown>> | { manifests: Array<Record<string, unknown>> };
    entries.push(...(Array.isArray(j) ? j : j.manifests));
  }
  edit(entries);
  if (format === 'docker') fs.writeFileSync(join(dir, 'manifest.json'), JSON.stringify(entries));
  else fs.writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: entries }));
  execFileSync('tar', ['-C', dir, '-cf', out, '.']);
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

describe('multi-image archives', () => {
  it('loads every image of a docker-save archive with several entries and several RepoTags', async () => {
    const a = buildImageTar([busyboxRootfs()], join(work, 'multi-a.tar'), { format: 'docker', ref: 'multi/a:1', config: { Cmd: ['a'] } });
    const b = buildImageTar([busyboxRootfs(), appDir()], join(work, 'multi-b.tar'), { format: 'docker', ref: 'example.com/multi/b:2', config: { Cmd: ['b'] } });
    // a second tag for the first image, as `docker save multi/a:1 multi/a:latest` writes it
    const file = mergeArchives([a.file, b.file], join(work, 'multi.tar'), 'docker', (e) => { e[0]!.RepoTags = ['multi/a:1', 'multi/a:latest']; });
    const store = newStore();
    const imgs = await loadArchive(store, file);
    expect(imgs.map((i) => i.id)).toEqual([a.configDigest, b.configDigest]);
    expect((await store.get('multi/a:1'))?.config.cmd).toEqual(['a']);
    expect((await store.get('multi/a'))?.references).toEqual(['docker.io/multi/a:1', 'docker.io/multi/a:latest']);
    expect((await store.get('example.com/multi/b:2'))?.layerDirs).toHaveLength(2);
    expect((await store.get('multi/a:1'))?.layerDirs[0]).toBe((await store.get('example.com/multi/b:2'))?.layerDirs[0]);
  });

  it('loads every image of an OCI layout whose index names several manifests', async () => {
    const a = buildImageTar([busyboxRootfs()], join(work, 'oci-a.tar'), { format: 'oci', ref: 'example.com/oci/a:1', config: { Cmd: ['a'] } });
    const b = buildImageTar([appDir()], join(work, 'oci-b.tar'), { format: 'oci', ref: 'example.com/oci/b:1', config: { Cmd: ['b'] } });
    const store = newStore();
    const imgs = await loadArchive(store, mergeArchives([a.file, b.file], join(work, 'oci-multi.tar'), 'oci'));
    expect(imgs.map((i) => i.references)).toEqual([['example.com/oci/a:1'], ['example.com/oci/b:1']]);
  });

  it('a legacy archive with only a repositories file is refused with a clear error', async () => {
    const dir = fs.mkdtempSync(join(work, 'legacy-'));
    fs.writeFileSync(join(dir, 'repositories'), JSON.stringify({ busybox: { latest: 'a'.repeat(64) } }));
    fs.mkdirSync(join(dir, 'a'.repeat(64)));
    fs.writeFileSync(join(dir, 'a'.repeat(64), 'VERSION'), '1.0');
    execFileSync('tar', ['-C', dir, '-cf', join(work, 'legacy.tar'), '.']);
    await expect(loadArchive(newStore(), join(work, 'legacy.tar'))).rejects.toMatchObject({ code: 'IMAGE', message: expect.stringMatching(/legacy .*repositories.*not supported/) });
  });
});

describe('image rm and prune', () => {
  it('rm untags, deletes the image with its last tag; prune removes only unused layers', async () => {
    const store = newStore();
    const a = await importBusybox(store, 'bb:a');
    await store.updateRefs((r) => { r['docker.io/library/bb:b'] = a.id; });
    expect((await removeImage(store, 'bb:a')).deleted).toBeUndefined();
    expect((await store.get(a.id))?.references).toEqual(['docker.io/library/bb:b']);
    const loaded = await loadArchive(store, join(work, 'save.tar'));
    expect(await pruneLayers(store)).toMatchObject({ layersRemoved: [] });
    const r = await removeImage(store, 'bb:b');
    expect(r).toEqual({ untagged: ['docker.io/library/bb:b'], deleted: a.id });
    expect(await store.get(a.id)).toBeUndefined();
    await expect(removeImage(store, 'bb:b')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // the imported busybox layer and the loaded image's base layer are the same tar: one shared layer dir
    expect(loaded[0]!.layerDirs[0]).toBe(a.layerDirs[0]);
    expect((await pruneLayers(store)).layersRemoved).toEqual([]);
    expect(fs.existsSync(a.layerDirs[0]!)).toBe(true);
    expect((await store.get('example.com/team/app:2'))?.layerDirs.every((d) => fs.existsSync(d))).toBe(true);
    await removeImage(store, loaded[0]!.id);
    expect((await pruneLayers(store)).layersRemoved).toHaveLength(2);
    expect(fs.readdirSync(join(store.dir, 'layers'))).toEqual([]);
    expect(fs.readdirSync(join(store.dir, 'tmp'))).toEqual([]);
  });
});
