import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/image/store.js';
import { importBusybox } from '../helpers/busybox-image.js';

const root = mkdtempSync(join(tmpdir(), `tsc-img-import-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('image import', () => {
  it('imports a busybox rootfs tarball as NAME:TAG and finds it by name, id and ensure()', async () => {
    const store = new ImageStore({ root });
    const img = await importBusybox(store, 'busybox:test');
    expect(img.references).toEqual(['docker.io/library/busybox:test']);
    expect(img.layerDirs).toHaveLength(1);
    const layer = img.layerDirs[0]!;
    expect(statSync(join(layer, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(layer, 'bin/sh'))).toBe('/bin/busybox');
    expect(lstatSync(join(layer, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(img.config.cmd).toEqual(['sh']);
    expect(img.config.env.some((e) => e.startsWith('PATH='))).toBe(true);
    expect(img.sizeBytes).toBeGreaterThan(100_000);
    expect((await store.get('busybox:test'))?.id).toBe(img.id);
    expect((await store.get('docker.io/library/busybox:test'))?.id).toBe(img.id);
    expect((await store.get(img.id))?.id).toBe(img.id);
    expect((await store.get(img.id.slice(7, 19)))?.id).toBe(img.id);
    expect(await store.get('busybox:other')).toBeUndefined();
    expect((await store.ensure('busybox:test', 'never')).id).toBe(img.id);
    expect((await store.ensure('busybox:test', 'missing')).id).toBe(img.id);
    await expect(store.ensure('busybox:absent', 'never')).rejects.toMatchObject({ code: 'IMAGE' });
    expect((await store.list()).map((i) => i.id)).toEqual([img.id]);
    expect(statSync(join(root, 'images')).mode & 0o777).toBe(0o700);
    expect(existsSync(join(root, 'images/tmp')) && (await import('node:fs')).readdirSync(join(root, 'images/tmp'))).toEqual([]);
  });
});
