/**
 * Refresh pull policies in ImageStore.ensure: a tag younger than the interval is used as it is; an older
 * one (or one whose tag time is unknown) is pulled again. The registry here is a closed loopback port, so
 * "pulled again" shows as a registry error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/image/store.js';
import { importBusybox } from '../helpers/busybox-image.js';
import { freePort } from '../helpers/registry.js';

const work = mkdtempSync(join(tmpdir(), `tsc-img-policy-${process.pid}-`));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('pull_policy daily / weekly / every_<duration>', () => {
  it('uses a fresh local tag, pulls a stale one', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    const store = new ImageStore({ root });
    const ref = `127.0.0.1:${await freePort()}/policy/app:1`; // nothing listens there
    const img = await importBusybox(store, ref);
    expect((await store.ensure(ref, 'daily')).id).toBe(img.id);
    expect((await store.ensure(ref, 'every_1h')).id).toBe(img.id);
    // age the tag by two hours
    const file = join(root, 'images/refs.json');
    const j = JSON.parse(readFileSync(file, 'utf8')) as { tagged: Record<string, number> };
    j.tagged[ref] = Date.now() - 2 * 3600_000;
    writeFileSync(file, JSON.stringify(j));
    expect((await store.ensure(ref, 'daily')).id).toBe(img.id);
    await expect(store.ensure(ref, 'every_1h')).rejects.toMatchObject({ code: 'REGISTRY' });
    expect((await store.ensure(ref, 'missing')).id).toBe(img.id);
  }, 60_000);
});
