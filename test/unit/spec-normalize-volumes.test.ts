import { describe, expect, it } from 'vitest';
import { FILE, load, service } from './spec-normalize-helpers.js';

const withVolumes = (list: string) => `services:\n  s:\n    image: busybox\n    volumes: ${list}\nvolumes:\n  data: {}\n`;
const mounts = (list: string) => {
  const r = load(withVolumes(list));
  expect(r.errors).toEqual([]);
  return r.project.services['s']!.volumes;
};

describe('volumes: short syntax', () => {
  it('relative, home and absolute binds resolve to absolute host paths and create them', () => {
    expect(mounts('["./html:/usr/share/nginx/html", "~/cfg:/cfg", "/var/log:/logs", "../up:/up", ".:/app"]')).toEqual([
      { type: 'bind', source: '/srv/app/html', target: '/usr/share/nginx/html', readOnly: false, createHostPath: true },
      { type: 'bind', source: '/home/dev/cfg', target: '/cfg', readOnly: false, createHostPath: true },
      { type: 'bind', source: '/var/log', target: '/logs', readOnly: false, createHostPath: true },
      { type: 'bind', source: '/srv/up', target: '/up', readOnly: false, createHostPath: true },
      { type: 'bind', source: '/srv/app', target: '/app', readOnly: false, createHostPath: true },
    ]);
  });

  it('modes ro, rw, z/Z, propagation and nocopy', () => {
    expect(mounts('["./a:/a:ro", "./b:/b:rw,Z", "./c:/c:ro,rshared", "data:/d:nocopy", "./e:/e:cached"]')).toEqual([
      { type: 'bind', source: '/srv/app/a', target: '/a', readOnly: true, createHostPath: true },
      { type: 'bind', source: '/srv/app/b', target: '/b', readOnly: false, createHostPath: true, selinux: 'Z' },
      { type: 'bind', source: '/srv/app/c', target: '/c', readOnly: true, createHostPath: true, propagation: 'rshared' },
      { type: 'volume', source: 'data', target: '/d', readOnly: false, nocopy: true },
      { type: 'bind', source: '/srv/app/e', target: '/e', readOnly: false, createHostPath: true },
    ]);
  });

  it('named and anonymous volumes', () => {
    expect(mounts('["data:/var/lib/data:ro", "/scratch"]')).toEqual([
      { type: 'volume', source: 'data', target: '/var/lib/data', readOnly: true, nocopy: false },
      { type: 'volume', target: '/scratch', readOnly: false, nocopy: false },
    ]);
  });

  it('uses HOME from the caller environment for ~', () => {
    const s = service('volumes: ["~/x:/x"]', { env: { HOME: '/users/ann' } });
    expect(s.volumes[0]).toMatchObject({ source: '/users/ann/x' });
  });
});

describe('volumes: long syntax', () => {
  it('bind, volume and tmpfs with their options', () => {
    const list = `
      - {type: bind, source: ./src, target: /app, read_only: true, bind: {propagation: rslave, create_host_path: true, selinux: z}}
      - {type: bind, source: /etc/ssl, target: /ssl}
      - {type: volume, source: data, target: /data, volume: {nocopy: true, subpath: sub}}
      - {type: volume, target: /anon}
      - {type: tmpfs, target: /tmp, tmpfs: {size: 64m, mode: 1777}}
      - {type: tmpfs, target: /run, tmpfs: {size: 1048576}}`;
    expect(mounts(list.replace(/\n {6}/g, '\n      '))).toEqual([
      { type: 'bind', source: '/srv/app/src', target: '/app', readOnly: true, createHostPath: true, propagation: 'rslave', selinux: 'z' },
      { type: 'bind', source: '/etc/ssl', target: '/ssl', readOnly: false, createHostPath: false },
      { type: 'volume', source: 'data', target: '/data', readOnly: false, nocopy: true, subpath: 'sub' },
      { type: 'volume', target: '/anon', readOnly: false, nocopy: false },
      { type: 'tmpfs', target: '/tmp', readOnly: false, sizeBytes: 64 * 1024 * 1024, mode: 0o1777 },
      { type: 'tmpfs', target: '/run', readOnly: false, sizeBytes: 1_048_576 },
    ]);
  });
});

describe('volumes: errors', () => {
  it('a named volume not declared at the top level', () => {
    const r = load('services:\n  s:\n    image: busybox\n    volumes:\n      - cache:/cache\n');
    expect(r.errors).toEqual([
      `${FILE}:5:9: services.s.volumes[0]: service "s" refers to undefined volume "cache" (declare it under the top-level volumes:)`,
    ]);
  });

  it('relative container paths, unknown modes, bind without source, duplicate targets', () => {
    const r = load(withVolumes('["./a:rel", "./b:/b:rx", {type: bind, target: /c}, "./d:/d", "./e:/d"]'));
    expect(r.errors).toEqual([
      `${FILE}:4:15: services.s.volumes[0]: found container path "rel", expected an absolute path`,
      `${FILE}:4:26: services.s.volumes[1]: found mode "rx", expected ro, rw, z, Z, nocopy or a propagation mode such as rshared`,
      `${FILE}:4:39: services.s.volumes[2]: missing "source", expected a host path for a bind mount`,
      `${FILE}:4:75: services.s.volumes[4]: duplicate mount point "/d" (also at index 3)`,
    ]);
  });
});

describe('tmpfs', () => {
  it('string or list, with size and mode options', () => {
    expect(service('tmpfs: /run').tmpfs).toEqual([{ target: '/run', options: [] }]);
    expect(service('tmpfs: ["/run:size=64m,mode=1777,noexec", /tmp]').tmpfs).toEqual([
      { target: '/run', sizeBytes: 64 * 1024 * 1024, mode: 0o1777, options: ['noexec'] },
      { target: '/tmp', options: [] },
    ]);
  });
});
