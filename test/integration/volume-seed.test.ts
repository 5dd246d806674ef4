/**
 * Seeding a volume from an image's layers: content, owners, modes, links, whiteouts and opaque
 * directories, and never into a volume that already has content.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, chownSync, chmodSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeManager } from '../../src/volume/manager.js';
import { lsetxattr, mknod, S_IFCHR, S_IFIFO } from '../../src/sys/xattr.js';
import { makeImage } from '../helpers/runtime-fixtures.js';

let root: string;
let lower: string;
let upper: string;
let mgr: VolumeManager;

function file(p: string, content: string, uid = 0, gid = 0, mode = 0o644): void {
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  chownSync(p, uid, gid);
  chmodSync(p, mode);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), `tsc-volseed-${process.pid}-`));
  lower = join(root, 'layers', 'lower');
  upper = join(root, 'layers', 'upper');
  // lower layer
  file(join(lower, 'data/a.txt'), 'alpha', 1000, 1001, 0o640);
  file(join(lower, 'data/sub/b.txt'), 'beta');
  file(join(lower, 'data/gone.txt'), 'deleted above');
  file(join(lower, 'data/aufs-gone.txt'), 'deleted above (aufs form)');
  file(join(lower, 'data/opq/hidden.txt'), 'hidden by an opaque dir');
  file(join(lower, 'data/tool'), '#!/bin/sh\n', 0, 0, 0o4755);
  linkSync(join(lower, 'data/a.txt'), join(lower, 'data/a-hardlink.txt'));
  symlinkSync('/etc/passwd', join(lower, 'data/passwd-link'));
  mknod(join(lower, 'data/null'), S_IFCHR | 0o666, 1, 3);
  mknod(join(lower, 'data/fifo'), S_IFIFO | 0o600);
  chownSync(join(lower, 'data'), 999, 998);
  chmodSync(join(lower, 'data'), 0o750);
  file(join(lower, 'etc/secret'), 'image file');
  symlinkSync('/../../../../data', join(lower, 'escape'));
  // upper layer: a whiteout, an AUFS whiteout, an opaque directory, a new file, an overridden file
  mkdirSync(join(upper, 'data/opq'), { recursive: true });
  mknod(join(upper, 'data/gone.txt'), S_IFCHR | 0o600, 0, 0);
  writeFileSync(join(upper, 'data/.wh.aufs-gone.txt'), '');
  lsetxattr(join(upper, 'data/opq'), 'trusted.overlay.opaque', Buffer.from('y'));
  file(join(upper, 'data/opq/visible.txt'), 'from upper');
  file(join(upper, 'data/sub/b.txt'), 'beta v2');
  // the merged directory takes the top-most layer's owner and mode
  chownSync(join(upper, 'data'), 999, 998);
  chmodSync(join(upper, 'data'), 0o750);
  chmodSync(join(lower, 'data'), 0o700);
  mgr = new VolumeManager({ root: join(root, 'state') });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('seedIfEmpty', () => {
  it('copies the merged image content with owners, modes and links into an empty volume', async () => {
    const v = await mgr.create('seed-a');
    const image = makeImage([lower, upper]);
    expect(await mgr.seedIfEmpty(v.Mountpoint, image, '/data')).toBe(true);
    const m = v.Mountpoint;
    expect(readdirSync(m).sort()).toEqual(['a-hardlink.txt', 'a.txt', 'fifo', 'null', 'opq', 'passwd-link', 'sub', 'tool']);
    const dev = lstatSync(join(m, 'null'));
    expect(dev.isCharacterDevice() && dev.rdev === lstatSync('/dev/null').rdev).toBe(true);
    expect(lstatSync(join(m, 'fifo')).isFIFO()).toBe(true);
    expect(readFileSync(join(m, 'a.txt'), 'utf8')).toBe('alpha');
    const a = statSync(join(m, 'a.txt'));
    expect([a.uid, a.gid, a.mode & 0o7777]).toEqual([1000, 1001, 0o640]);
    expect(statSync(join(m, 'a-hardlink.txt')).ino).toBe(a.ino);
    expect(statSync(join(m, 'tool')).mode & 0o7777).toBe(0o4755);
    expect(readFileSync(join(m, 'sub/b.txt'), 'utf8')).toBe('beta v2');
    expect(readdirSync(join(m, 'opq'))).toEqual(['visible.txt']);
    expect(lstatSync(join(m, 'passwd-link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(m, 'passwd-link'))).toBe('/etc/passwd');
    const rootSt = statSync(m);
    expect([rootSt.uid, rootSt.gid, rootSt.mode & 0o7777]).toEqual([999, 998, 0o750]);
  });

  it('does not copy into a volume that has content', async () => {
    const v = await mgr.create('seed-b');
    writeFileSync(join(v.Mountpoint, 'mine'), 'keep');
    expect(await mgr.seedIfEmpty(v.Mountpoint, makeImage([lower, upper]), '/data')).toBe(false);
    expect(readdirSync(v.Mountpoint)).toEqual(['mine']);
  });

  it('does nothing when the image has nothing at the path', async () => {
    const v = await mgr.create('seed-c');
    expect(await mgr.seedIfEmpty(v.Mountpoint, makeImage([lower, upper]), '/nothing/here')).toBe(false);
    expect(await mgr.seedIfEmpty(v.Mountpoint, makeImage([lower, upper]), '/etc/secret')).toBe(false);
    expect(readdirSync(v.Mountpoint)).toEqual([]);
  });

  it('resolves a symlinked mount point inside the image, never on the host', async () => {
    const v = await mgr.create('seed-d');
    // /escape -> /../../../../data must land on the image's /data, not the host's
    expect(await mgr.seedIfEmpty(v.Mountpoint, makeImage([lower, upper]), '/escape')).toBe(true);
    expect(readFileSync(join(v.Mountpoint, 'a.txt'), 'utf8')).toBe('alpha');
  });
});
