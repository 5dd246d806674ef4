import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUser } from '../../src/runtime/user.js';
import { readImageFile } from '../../src/runtime/layer-files.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nwww:x:33:33:www:/var/www:/bin/false\n';
const GROUP = 'root:x:0:\nwww:x:33:\nusers:x:100:www,other\nnogroup:x:65534:\n';

describe('resolveUser', () => {
  it('no user: root with its home', () => {
    expect(resolveUser(undefined, [], PASSWD, GROUP)).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/root' });
  });
  it('a name: uid, gid and home from passwd, supplementary groups from group members', () => {
    expect(resolveUser('www', [], PASSWD, GROUP)).toEqual({ uid: 33, gid: 33, additionalGids: [100], home: '/var/www' });
  });
  it('name:group and uid:gid', () => {
    expect(resolveUser('www:nogroup', [], PASSWD, GROUP)).toEqual({ uid: 33, gid: 65534, additionalGids: [], home: '/var/www' });
    expect(resolveUser('1000:1000', [], PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1000, additionalGids: [], home: '/' });
  });
  it('a numeric uid not in passwd runs with gid 0', () => {
    expect(resolveUser('4242', [], PASSWD, GROUP)).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
  });
  it('a numeric uid found in passwd takes its gid and home', () => {
    expect(resolveUser('65534', [], PASSWD, GROUP)).toEqual({ uid: 65534, gid: 65534, additionalGids: [], home: '/home' });
  });
  it('group_add adds groups by name or number', () => {
    expect(resolveUser('nobody', ['users', '777'], PASSWD, GROUP).additionalGids).toEqual([100, 777]);
  });
  it('an unknown user, an unknown group, a malformed spec are clear errors', () => {
    expect(() => resolveUser('ghost', [], PASSWD, GROUP)).toThrow('unable to find user ghost: no matching entries in passwd file');
    expect(() => resolveUser('www:ghosts', [], PASSWD, GROUP)).toThrow('unable to find group ghosts');
    expect(() => resolveUser('www:', [], PASSWD, GROUP)).toThrow(/invalid user/);
    expect(() => resolveUser('nobody', ['nogrp'], PASSWD, GROUP)).toThrow(/unable to find group nogrp/);
    expect(() => resolveUser('www', [], undefined, undefined)).toThrow(/unable to find user www/);
  });
});

describe('readImageFile over layer dirs', () => {
  let base: string;
  let lower: string;
  let upper: string;
  let outside: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), `tsc-layerfiles-${process.pid}-`));
    lower = join(base, 'lower');
    upper = join(base, 'upper');
    outside = join(base, 'outside');
    for (const d of [`${lower}/etc`, `${lower}/usr/share/x`, `${upper}/etc`, outside]) mkdirSync(d, { recursive: true });
    writeFileSync(`${lower}/etc/passwd`, 'lower-passwd');
    writeFileSync(`${lower}/etc/group`, 'lower-group');
    writeFileSync(`${upper}/etc/passwd`, 'upper-passwd');
    writeFileSync(`${lower}/etc/shadow`, 'lower-shadow');
    writeFileSync(`${upper}/etc/.wh.shadow`, '');
    writeFileSync(`${lower}/usr/share/x/real`, 'real-file');
    symlinkSync('../usr/share/x/real', `${upper}/etc/rel-link`);
    symlinkSync('/usr/share/x/real', `${upper}/etc/abs-link`);
    writeFileSync(join(outside, 'secret'), 'host-secret');
    symlinkSync(join(outside, 'secret'), `${upper}/etc/escape-abs`);
    symlinkSync('../../../../../../../../..' + join(outside, 'secret'), `${upper}/etc/escape-rel`);
    // a lower layer whose /etc2 is a symlink to a host directory: never traversed
    symlinkSync(outside, `${lower}/etc2`);
    mkdirSync(`${upper}/etc2`);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('the top layer wins; a lower file shows through', async () => {
    expect(await readImageFile([lower, upper], '/etc/passwd')).toBe('upper-passwd');
    expect(await readImageFile([lower, upper], '/etc/group')).toBe('lower-group');
  });
  it('a whiteout hides the lower file', async () => {
    expect(await readImageFile([lower, upper], '/etc/shadow')).toBeUndefined();
  });
  it('symlinks are resolved inside the image, relative and absolute', async () => {
    expect(await readImageFile([lower, upper], '/etc/rel-link')).toBe('real-file');
    expect(await readImageFile([lower, upper], '/etc/abs-link')).toBe('real-file');
  });
  it('symlinks pointing out of the image never read host files', async () => {
    expect(await readImageFile([lower, upper], '/etc/escape-abs')).toBeUndefined();
    expect(await readImageFile([lower, upper], '/etc/escape-rel')).toBeUndefined();
    expect(await readImageFile([lower, upper], '/etc2/secret')).toBeUndefined();
    expect(await readImageFile([lower, upper], '/../../outside/secret')).toBeUndefined();
  });
  it('a missing file is undefined', async () => {
    expect(await readImageFile([lower, upper], '/etc/nothing')).toBeUndefined();
  });
});

describe('readImageFile: hostile writable layer', () => {
  it('a FIFO in place of /etc/passwd is not waited on', async () => {
    const { execFileSync } = await import('node:child_process');
    const d = mkdtempSync(join(tmpdir(), `tsc-layerfifo-${process.pid}-`));
    try {
      mkdirSync(join(d, 'etc'));
      execFileSync('mkfifo', [join(d, 'etc/passwd')]);
      expect(await readImageFile([d], '/etc/passwd')).toBeUndefined();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
