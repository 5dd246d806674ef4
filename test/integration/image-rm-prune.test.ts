/**
 * `image rm` / `image prune` against containers: an image a container was created from (its record under
 * <root>/containers, as the runtime writes it) is not removed without force, and prune keeps it and its
 * layers; prune removes only dangling images by default and every unused image with `all`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/image/store.js';
import { pruneImages, removeImage } from '../../src/image/admin.js';
import { writeRecord } from '../../src/runtime/container-store.js';
import type { LocalImage } from '../../src/image/api.js';
import { importBusybox } from '../helpers/busybox-image.js';

const work = fs.mkdtempSync(join(tmpdir(), `tsc-img-rm-${process.pid}-`));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function fakeContainer(root: string, name: string, img: LocalImage): Promise<void> {
  await writeRecord(root, {
    version: 1, id: `${name}-${Math.random().toString(16).slice(2, 10)}`, name, project: 'p', service: 's', number: 1, labels: {},
    createdAt: new Date().toISOString(), imageId: img.id, layerDirs: img.layerDirs, stopGracePeriodMs: 10_000,
    cgroupsPath: '', env: [], cwd: '/', uid: 0, gid: 0,
  });
}

describe('image rm and prune with containers', () => {
  it('rm refuses an image a container uses unless forced; forced it untags and keeps the image for the container', async () => {
    const root = fs.mkdtempSync(join(work, 'root-'));
    const store = new ImageStore({ root });
    const img = await importBusybox(store, 'app:1');
    await store.updateRefs((r) => { r['docker.io/library/app:2'] = img.id; });
    await fakeContainer(root, 'p-s-1', img);
    // another tag remains: plain untag, as Docker
    expect(await removeImage(store, 'app:2')).toEqual({ untagged: ['docker.io/library/app:2'] });
    await expect(removeImage(store, 'app:1')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/must be forced.*container p-s-1 is using it/) });
    await expect(removeImage(store, img.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await store.get('app:1'))?.id).toBe(img.id);
    expect(await removeImage(store, 'app:1', { force: true })).toEqual({ untagged: ['docker.io/library/app:1'] });
    expect((await store.get(img.id))?.references).toEqual([]);
    // dangling but in use: prune (even -a) keeps the image and its layer
    const pr = await pruneImages(store, { all: true });
    expect(pr.deleted).toEqual([]);
    expect(pr.layersRemoved).toEqual([]);
    expect(img.layerDirs.every((d) => fs.existsSync(d))).toBe(true);
    // once the container is gone, prune removes the dangling image and its layer
    fs.rmSync(join(root, 'containers'), { recursive: true, force: true });
    const pr2 = await pruneImages(store);
    expect(pr2.deleted).toEqual([img.id]);
    expect(pr2.layersRemoved).toHaveLength(1);
    expect(pr2.bytesReclaimed).toBeGreaterThan(0);
    expect(fs.existsSync(img.layerDirs[0]!)).toBe(false);
  });

  it('rm by id of an image tagged in several repositories needs force', async () => {
    const store = new ImageStore({ root: fs.mkdtempSync(join(work, 'root-')) });
    const img = await importBusybox(store, 'one:1');
    await store.updateRefs((r) => { r['docker.io/library/two:1'] = img.id; });
    await expect(removeImage(store, img.id.slice(7, 19))).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/multiple repositories/) });
    const r = await removeImage(store, img.id.slice(7, 19), { force: true });
    expect(r.untagged.sort()).toEqual(['docker.io/library/one:1', 'docker.io/library/two:1']);
    expect(r.deleted).toBe(img.id);
  });

  it('prune removes only dangling images; -a also unused tagged ones, never one a container uses', async () => {
    const root = fs.mkdtempSync(join(work, 'root-'));
    const store = new ImageStore({ root });
    const old = await importBusybox(store, 'app:latest');
    const cur = await importBusybox(store, 'app:latest'); // the tag moves: the first image is dangling now
    expect(cur.id).not.toBe(old.id);
    const kept = await importBusybox(store, 'kept:1');
    const used = await importBusybox(store, 'used:1');
    await fakeContainer(root, 'p-used-1', used);
    const pr = await pruneImages(store);
    expect(pr.deleted).toEqual([old.id]);
    expect(pr.layersRemoved).toEqual([]); // the layer is shared with the other images
    expect((await store.list()).map((i) => i.id).sort()).toEqual([cur.id, kept.id, used.id].sort());
    const all = await pruneImages(store, { all: true });
    expect(all.deleted.sort()).toEqual([cur.id, kept.id].sort());
    expect(all.untagged.sort()).toEqual(['docker.io/library/app:latest', 'docker.io/library/kept:1']);
    expect((await store.list()).map((i) => i.id)).toEqual([used.id]);
    expect(used.layerDirs.every((d) => fs.existsSync(d))).toBe(true);
  });
});
