/**
 * A corpus of hostile layer tarballs, made here: containerd's TestBreakouts classes plus `../` and absolute
 * names. Each case unpacks into <case>/layer next to <case>/sentinel, which symlinks and hardlinks aim at;
 * the sentinel must be byte-for-byte, mode-for-mode unchanged, and each case is refused with a clear error
 * or unpacked safely (the planted path lands inside the layer).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackLayerStream } from '../../src/image/layer-stream.js';
import { batched, tarStream, type TEntry } from '../helpers/tar-writer.js';

const work = fs.mkdtempSync(join(tmpdir(), `tsc-unpack-hostile-${process.pid}-`));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let n = 0;
interface Case { root: string; sentinel: string; before: string; error?: Error }

function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = join(d, name);
      const st = fs.lstatSync(p);
      out.push(`${p} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.nlink} ${st.mtimeMs} ${st.isFile() ? fs.readFileSync(p, 'utf8') : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  const st = fs.statSync(dir);
  return `${st.mode.toString(8)} ${st.mtimeMs}\n${out.join('\n')}`;
}

/** entries(sentinelAbs, sentinelRelFromLayer) → unpack; asserts the sentinel is untouched. */
async function run(make: (s: { abs: string; rel: string }) => TEntry[]): Promise<Case> {
  const base = join(work, `case${++n}`);
  const root = join(base, 'layer');
  const sentinel = join(base, 'sentinel');
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(sentinel);
  fs.writeFileSync(join(sentinel, 'victim'), 'original');
  fs.utimesSync(sentinel, 1_000_000, 1_000_000);
  const before = snapshot(base.replace(/layer$/, '') + '/sentinel');
  const c: Case = { root, sentinel, before };
  try {
    await unpackLayerStream(batched(tarStream(make({ abs: sentinel, rel: '../sentinel' }))), root);
  } catch (e) {
    c.error = e as Error;
  }
  expect(snapshot(sentinel)).toBe(before);
  return c;
}

const refused = (c: Case, re: RegExp): void => {
  expect(c.error).toBeDefined();
  expect(c.error!.message).toMatch(re);
  expect((c.error as { code?: string }).code).toBe('IMAGE');
};
const ok = (c: Case): void => expect(c.error).toBeUndefined();

describe('hostile layers: symlinks', () => {
  it('SymlinkAbsolute: a file written through an absolute symlink lands inside the layer', async () => {
    const c = await run((s) => [{ name: 'link', type: 'symlink', linkname: s.abs }, { name: 'link/victim', data: 'pwned' }]);
    ok(c);
    expect(fs.readFileSync(join(c.root, c.sentinel, 'victim'), 'utf8')).toBe('pwned');
  });

  it('SymlinkUpAndOut: a relative symlink climbing out is clamped at the layer root', async () => {
    const c = await run((s) => [{ name: 'dir/link', type: 'symlink', linkname: `../../../../../../../../..${s.abs}` }, { name: 'dir/link/victim', data: 'pwned' }]);
    ok(c);
    expect(fs.readFileSync(join(c.root, c.sentinel, 'victim'), 'utf8')).toBe('pwned');
  });

  it('SymlinkParentDirectory: "parent -> .." then parent/../sentinel/victim stays inside', async () => {
    const c = await run(() => [{ name: 'parent', type: 'symlink', linkname: '..' }, { name: 'parent/sentinel/victim', data: 'pwned' }]);
    ok(c);
    expect(fs.readFileSync(join(c.root, 'sentinel/victim'), 'utf8')).toBe('pwned');
  });

  it('a symlink to "/." does not make later entries apply to the host (CVE-2021-29136)', async () => {
    const c = await run((s) => [{ name: 'rootlink', type: 'symlink', linkname: '/.' }, { name: `rootlink${s.abs}/victim`, data: 'pwned' }]);
    ok(c);
    expect(fs.readFileSync(join(c.root, c.sentinel, 'victim'), 'utf8')).toBe('pwned');
  });

  it('a symlink loop is refused', async () => {
    const c = await run(() => [{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'a/x', data: 'x' }]);
    refused(c, /too many levels of symbolic links/);
  });

  it('DirectoryOverrideSymlink: a directory entry replaces a symlink, never chmods its target', async () => {
    const c = await run((s) => [{ name: 'dir', type: 'symlink', linkname: s.abs }, { name: 'dir', type: 'dir', mode: 0o777 }, { name: 'dir/victim', data: 'pwned' }]);
    ok(c);
    expect(fs.lstatSync(join(c.root, 'dir')).isDirectory()).toBe(true);
    expect(fs.readFileSync(join(c.root, 'dir/victim'), 'utf8')).toBe('pwned');
  });

  it('a file entry over a symlink replaces the symlink instead of writing through it', async () => {
    const c = await run((s) => [{ name: 'f', type: 'symlink', linkname: `${s.abs}/victim` }, { name: 'f', data: 'pwned', mode: 0o600 }]);
    ok(c);
    expect(fs.lstatSync(join(c.root, 'f')).isFile()).toBe(true);
    expect(fs.readFileSync(join(c.root, 'f'), 'utf8')).toBe('pwned');
  });

  it('a symlink entry pointing outside is kept as a symlink (never followed)', async () => {
    const c = await run((s) => [{ name: 'out', type: 'symlink', linkname: `${s.abs}/victim`, uid: 1234, mtime: 1_600_000_000 }]);
    ok(c);
    const st = fs.lstatSync(join(c.root, 'out'));
    expect(st.isSymbolicLink() && st.uid === 1234 && st.mtimeMs === 1_600_000_000_000).toBe(true);
  });
});

describe('hostile layers: hardlinks', () => {
  it('HardlinkAbsolute: a link to an absolute host path is refused', async () => {
    refused(await run((s) => [{ name: 'h', type: 'hardlink', linkname: `${s.abs}/victim` }]), /hardlink target .* is not in the layer|does not exist in the layer/);
  });

  it('HardlinkRelative: a link with ".." is refused', async () => {
    refused(await run((s) => [{ name: 'h', type: 'hardlink', linkname: `${s.rel}/victim` }]), /"\.\."/);
    refused(await run(() => [{ name: 'h', type: 'hardlink', linkname: '../../../../../../etc/passwd' }]), /"\.\."/);
  });

  it('HardlinkDownAndOut: a link through a symlink that points outside resolves inside (and is not found)', async () => {
    const c = await run((s) => [{ name: 'dummy', type: 'symlink', linkname: s.abs }, { name: 'h', type: 'hardlink', linkname: 'dummy/victim' }]);
    refused(c, /not in the layer|does not exist/);
    expect(fs.statSync(join(c.sentinel, 'victim')).nlink).toBe(1);
  });

  it('a hardlink to a file that only a lower layer has is refused with a clear error, in any entry order', async () => {
    refused(await run(() => [{ name: 'bin', type: 'dir' }, { name: 'bin/sh', type: 'hardlink', linkname: 'bin/busybox' }]), /hardlink target "bin\/busybox" is not in the layer \(a link to a file of a lower layer/);
    // the target appears only after the link: still refused (never linked to whatever is there later)
    refused(await run(() => [{ name: 'h', type: 'hardlink', linkname: 'a' }, { name: 'a', data: 'A' }]), /is not in the layer/);
  });

  it('a hardlink to a file inside the layer works; to a directory is refused', async () => {
    const c = await run(() => [{ name: 'a', data: 'A' }, { name: 'b', type: 'hardlink', linkname: '/a' }]);
    ok(c);
    expect(fs.statSync(join(c.root, 'b')).ino).toBe(fs.statSync(join(c.root, 'a')).ino);
    refused(await run(() => [{ name: 'd', type: 'dir' }, { name: 'h', type: 'hardlink', linkname: 'd' }]), /hardlink to a directory/);
  });
});

describe('hostile layers: names and whiteouts', () => {
  it('"../" names are refused; absolute names are made relative', async () => {
    refused(await run((s) => [{ name: `${s.rel}/victim`, data: 'pwned' }]), /path contains "\.\."/);
    refused(await run(() => [{ name: 'a/../../x', data: 'pwned' }]), /path contains "\.\."/);
    const c = await run((s) => [{ name: `${s.abs}/victim`, data: 'pwned' }]);
    ok(c);
    expect(fs.readFileSync(join(c.root, c.sentinel, 'victim'), 'utf8')).toBe('pwned');
  });

  it('WhiteoutRootParent: .wh... , .wh.. and a bare .wh. are refused', async () => {
    refused(await run(() => [{ name: '.wh...' }]), /invalid whiteout/);
    refused(await run(() => [{ name: 'dir/.wh..' }]), /invalid whiteout/);
    refused(await run(() => [{ name: '.wh.' }]), /invalid whiteout/);
    refused(await run(() => [{ name: '../.wh.sentinel' }]), /"\.\."/);
  });

  it('WhiteoutSymlink: a whiteout through a symlink is refused', async () => {
    refused(await run((s) => [{ name: 'link', type: 'symlink', linkname: s.abs }, { name: 'link/.wh.victim' }]), /through the symlink link/);
    refused(await run((s) => [{ name: 'link', type: 'symlink', linkname: s.abs }, { name: 'link/.wh..wh..opq' }]), /through the symlink link/);
  });

  it('whiteouts become 0/0 character devices and opaque markers trusted.overlay.opaque=y', async () => {
    const { lgetxattr } = await import('../../src/sys/xattr.js');
    const c = await run(() => [
      { name: 'etc/keep', data: 'k' }, { name: 'etc/.wh.gone' }, { name: 'etc/.wh..wh..opq' }, { name: 'opq/.wh..wh..opq' },
      { name: '.wh..wh.plnk', type: 'dir' },
    ]);
    ok(c);
    const wh = fs.lstatSync(join(c.root, 'etc/gone'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(fs.readFileSync(join(c.root, 'etc/keep'), 'utf8')).toBe('k');
    expect(lgetxattr(join(c.root, 'etc'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(lgetxattr(join(c.root, 'opq'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(fs.existsSync(join(c.root, '.wh..wh.plnk'))).toBe(false);
  });

  it('overlay xattrs inside the tar are dropped; other xattrs are kept', async () => {
    const { lgetxattr } = await import('../../src/sys/xattr.js');
    const c = await run(() => [{ name: 'd', type: 'dir', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.user.note': 'hi' } }]);
    ok(c);
    expect(lgetxattr(join(c.root, 'd'), 'trusted.overlay.redirect')).toBeUndefined();
    expect(lgetxattr(join(c.root, 'd'), 'user.note')?.toString()).toBe('hi');
  });

  it('the layer root cannot change type', async () => {
    refused(await run((s) => [{ name: './', type: 'symlink', linkname: s.abs }]), /changes the type of the layer root/);
    refused(await run(() => [{ name: '/', data: 'x' }]), /changes the type of the layer root/);
  });
});

describe('duplicates, metadata and special files', () => {
  it('duplicate paths replace the earlier entry; dir over dir merges', async () => {
    const c = await run(() => [
      { name: 'a', data: 'one' }, { name: 'a', data: 'two' },
      { name: 'd', type: 'dir' }, { name: 'd/child', data: 'c' }, { name: 'd', type: 'dir', mode: 0o700 },
      { name: 'x', type: 'dir' }, { name: 'x/y', data: 'y' }, { name: 'x', data: 'file now' },
      { name: 'f', data: 'f' }, { name: 'f', type: 'dir' },
    ]);
    ok(c);
    expect(fs.readFileSync(join(c.root, 'a'), 'utf8')).toBe('two');
    expect(fs.readFileSync(join(c.root, 'd/child'), 'utf8')).toBe('c');
    expect(fs.statSync(join(c.root, 'd')).mode & 0o7777).toBe(0o700);
    expect(fs.readFileSync(join(c.root, 'x'), 'utf8')).toBe('file now');
    expect(fs.lstatSync(join(c.root, 'f')).isDirectory()).toBe(true);
  });

  it('keeps owners, setuid/setgid/sticky modes, device nodes, fifos and directory mtimes', async () => {
    const c = await run(() => [
      { name: 'bin', type: 'dir', mtime: 1_500_000_000 },
      { name: 'bin/su', data: '#!', mode: 0o4755, uid: 1000, gid: 1000 },
      { name: 'bin/sg', data: '#!', mode: 0o2711, uid: 0, gid: 50 },
      { name: 'tmp', type: 'dir', mode: 0o1777 },
      { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
      { name: 'long/' + 'n'.repeat(150) + '/file', data: 'pax path' },
      { name: 'gnu/' + 'g'.repeat(150), data: 'gnu long name', gnuLongName: true },
    ]);
    ok(c);
    const su = fs.statSync(join(c.root, 'bin/su'));
    expect([su.mode & 0o7777, su.uid, su.gid]).toEqual([0o4755, 1000, 1000]);
    expect(fs.statSync(join(c.root, 'bin/sg')).mode & 0o7777).toBe(0o2711);
    expect(fs.statSync(join(c.root, 'tmp')).mode & 0o7777).toBe(0o1777);
    const dn = fs.lstatSync(join(c.root, 'dev/null'));
    expect(dn.isCharacterDevice() && dn.rdev === 0x103 && (dn.mode & 0o777) === 0o666).toBe(true);
    expect(fs.lstatSync(join(c.root, 'dev/sda')).isBlockDevice()).toBe(true);
    expect(fs.lstatSync(join(c.root, 'run/fifo')).isFIFO()).toBe(true);
    expect(fs.statSync(join(c.root, 'bin')).mtimeMs).toBe(1_500_000_000_000);
    expect(fs.readFileSync(join(c.root, 'long/' + 'n'.repeat(150) + '/file'), 'utf8')).toBe('pax path');
    expect(fs.readFileSync(join(c.root, 'gnu/' + 'g'.repeat(150)), 'utf8')).toBe('gnu long name');
  });

  it('a later directory mtime is not applied through a parent replaced by a symlink', async () => {
    const c = await run((s) => [
      { name: 'p/q', type: 'dir', mtime: 1_000 },
      { name: 'p', type: 'symlink', linkname: s.abs },
    ]);
    ok(c);
    expect(fs.lstatSync(join(c.root, 'p')).isSymbolicLink()).toBe(true);
  });

  it('truncated archives and bad checksums are refused', async () => {
    const good = Buffer.concat([...tarStream([{ name: 'a', data: 'x'.repeat(2000) }])]);
    const base = join(work, 'trunc');
    fs.mkdirSync(base);
    await expect(unpackLayerStream(batched([good.subarray(0, 1000)]), base)).rejects.toThrow(/unexpected end|truncated/);
    const bad = Buffer.from(good);
    bad[10] = 0x41;
    const base2 = join(work, 'badsum');
    fs.mkdirSync(base2);
    await expect(unpackLayerStream(batched([bad]), base2)).rejects.toThrow(/checksum/);
  });
});
