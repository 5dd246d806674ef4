/**
 * VolumeManager against a real directory tree: named/external/anonymous volumes, binds, tmpfs,
 * subpath, removal and `down -v` scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeManager } from '../../src/volume/manager.js';
import { anonymousVolumeName } from '../../src/volume/plan.js';
import { LABEL_PROJECT, LABEL_VOLUME } from '../../src/volume/api.js';
import { makeProject, makeService } from '../helpers/service.js';
import { makeImage } from '../helpers/runtime-fixtures.js';
import type { Project, Service, Volume } from '../../src/spec/model.js';

let dir: string;
let mgr: VolumeManager;
let layer: string;
const tag = `${process.pid}${Math.floor(Math.random() * 1e6)}`;

const vol = (name: string, o: Partial<Volume> = {}): Volume => ({ name, driver: 'local', driverOpts: {}, external: false, labels: {}, ...o });
const proj = (name: string, services: Service[], volumes: Record<string, Volume>): Project => ({ ...makeProject(name, services, dir), volumes });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `tsc-volmgr-${process.pid}-`));
  layer = join(dir, 'layer');
  mkdirSync(join(layer, 'srv/www'), { recursive: true });
  writeFileSync(join(layer, 'srv/www/index.html'), 'from image');
  mkdirSync(join(layer, 'var/log/app'), { recursive: true });
  writeFileSync(join(layer, 'var/log/app/seed.log'), 'image log');
  mgr = new VolumeManager({ root: join(dir, 'root') });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('VolumeManager', () => {
  it('creates a named volume once, with Compose labels and metadata', async () => {
    const name = `p${tag}_data`;
    const a = await mgr.ensure(`p${tag}`, 'data', vol(name, { labels: { tier: 'db' } }));
    expect(a).toMatchObject({ name, created: true, warnings: [] });
    expect(a.path).toBe(join(dir, 'root', 'volumes', name, '_data'));
    expect(statSync(a.path).isDirectory()).toBe(true);
    const b = await mgr.ensure(`p${tag}`, 'data', vol(name));
    expect(b.created).toBe(false);
    const info = await mgr.inspect(name);
    expect(info).toMatchObject({ Name: name, Driver: 'local', Mountpoint: a.path, Scope: 'local', Labels: { tier: 'db', [LABEL_PROJECT]: `p${tag}`, [LABEL_VOLUME]: 'data' } });
    expect(Number.isNaN(Date.parse(info?.CreatedAt ?? ''))).toBe(false);
    const other = await mgr.ensure(`q${tag}`, 'data', vol(name));
    expect(other.warnings[0]).toContain(`was created for project "p${tag}"`);
  });

  it('external volumes must exist', async () => {
    const name = `ext${tag}`;
    await expect(mgr.ensure('p', 'ext', vol(name, { external: true }))).rejects.toMatchObject({ code: 'NOT_FOUND', message: `external volume "${name}" not found` });
    await mgr.create(name);
    const e = await mgr.ensure('p', 'ext', vol(name, { external: true }));
    expect(e).toMatchObject({ name, created: false });
  });

  it('rejects invalid names', async () => {
    await expect(mgr.create('a')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(mgr.create('../x')).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('resolves every kind of mount, seeding named and anonymous volumes from the image', async () => {
    const pname = `r${tag}`;
    const hostMissing = join(dir, 'host', 'created-for-me');
    const web = makeService('web', {
      volumes: [
        { type: 'volume', source: 'site', target: '/srv/www', readOnly: true, nocopy: false },
        { type: 'bind', source: hostMissing, target: '/conf', readOnly: false, createHostPath: true },
        { type: 'tmpfs', target: '/scratch', readOnly: false, sizeBytes: 1 << 20, mode: 0o1777 },
        { type: 'volume', target: '/empty', readOnly: false, nocopy: true },
      ],
    });
    const project = proj(pname, [web], { site: vol(`${pname}_site`) });
    const image = makeImage([layer], { volumes: ['/var/log/app'] });
    const r = await mgr.resolveMounts({ project, service: web, number: 1, image });
    const anonLog = anonymousVolumeName(pname, 'web', 1, '/var/log/app');
    const anonEmpty = anonymousVolumeName(pname, 'web', 1, '/empty');
    const vroot = join(dir, 'root', 'volumes');
    expect(r.mounts).toEqual([
      { type: 'bind', source: hostMissing, target: '/conf', readOnly: false },
      { type: 'tmpfs', target: '/scratch', readOnly: false, options: ['size=1048576', 'mode=1777'] },
      { type: 'bind', source: join(vroot, anonEmpty, '_data'), target: '/empty', readOnly: false },
      { type: 'bind', source: join(vroot, `${pname}_site`, '_data'), target: '/srv/www', readOnly: true },
      { type: 'bind', source: join(vroot, anonLog, '_data'), target: '/var/log/app', readOnly: false },
    ]);
    expect(r.volumes.sort()).toEqual([`${pname}_site`, anonEmpty, anonLog].sort());
    expect(statSync(hostMissing).isDirectory()).toBe(true);
    expect(readFileSync(join(vroot, `${pname}_site`, '_data', 'index.html'), 'utf8')).toBe('from image');
    expect(readFileSync(join(vroot, anonLog, '_data', 'seed.log'), 'utf8')).toBe('image log');
    expect(readdirSync(join(vroot, anonEmpty, '_data'))).toEqual([]);
    // a second resolve reuses the same volumes and keeps their data
    writeFileSync(join(vroot, `${pname}_site`, '_data', 'index.html'), 'edited');
    const again = await mgr.resolveMounts({ project, service: web, number: 1, image });
    expect(again.mounts).toEqual(r.mounts);
    expect(readFileSync(join(vroot, `${pname}_site`, '_data', 'index.html'), 'utf8')).toBe('edited');
  });

  it('replicas resolved in parallel share one named volume, seeded once', async () => {
    const pname = `par${tag}`;
    const web = makeService('web', { volumes: [{ type: 'volume', source: 'site', target: '/srv/www', readOnly: false, nocopy: false }] });
    const project = proj(pname, [web], { site: vol(`${pname}_site`) });
    const image = makeImage([layer]);
    const all = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => mgr.resolveMounts({ project, service: web, number: n, image })));
    const sources = new Set(all.map((r) => r.mounts[0]?.source));
    expect(sources.size).toBe(1);
    const src = [...sources][0] as string;
    expect(readdirSync(src)).toEqual(['index.html']);
    expect(readFileSync(join(src, 'index.html'), 'utf8')).toBe('from image');
  });

  it('does not seed an empty volume that a container already mounts', async () => {
    const pname = `use${tag}`;
    const web = makeService('web', { volumes: [{ type: 'volume', source: 'site', target: '/srv/www', readOnly: false, nocopy: false }] });
    const project = proj(pname, [web], { site: vol(`${pname}_site`) });
    const path = (await mgr.ensure(pname, 'site', vol(`${pname}_site`))).path;
    const bundle = join(dir, 'root', 'containers', `c-${tag}`, 'bundle');
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ mounts: [{ destination: '/srv/www', type: 'bind', source: path }] }));
    try {
      await mgr.resolveMounts({ project, service: web, number: 1, image: makeImage([layer]) });
      expect(readdirSync(path)).toEqual([]);
      await expect(mgr.remove(`${pname}_site`)).rejects.toMatchObject({ code: 'CONFLICT' });
    } finally {
      rmSync(join(dir, 'root', 'containers', `c-${tag}`), { recursive: true, force: true });
    }
    await mgr.resolveMounts({ project, service: web, number: 1, image: makeImage([layer]) });
    expect(readdirSync(path)).toEqual(['index.html']);
  });

  it('refuses a missing bind source without create_host_path', async () => {
    const missing = join(dir, 'nope', String(tag));
    const s = makeService('s', { volumes: [{ type: 'bind', source: missing, target: '/x', readOnly: false, createHostPath: false }] });
    await expect(mgr.resolveMounts({ project: proj('b', [s], {}), service: s, number: 1, image: makeImage([layer]) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(missing)).toBe(false);
  });

  it('mounts a subpath that exists inside the volume and refuses one that escapes', async () => {
    const pname = `s${tag}`;
    const ok = makeService('ok', { volumes: [{ type: 'volume', source: 'd', target: '/x', readOnly: false, nocopy: false, subpath: 'inner' }] });
    const project = proj(pname, [ok], { d: vol(`${pname}_d`) });
    const ensured = await mgr.ensure(pname, 'd', vol(`${pname}_d`));
    await expect(mgr.resolveMounts({ project, service: ok, number: 1, image: makeImage([layer]) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    mkdirSync(join(ensured.path, 'inner'));
    const r = await mgr.resolveMounts({ project, service: ok, number: 1, image: makeImage([layer]) });
    expect(r.mounts[0]?.source).toBe(join(ensured.path, 'inner'));
    const bad = makeService('bad', { volumes: [{ type: 'volume', source: 'd', target: '/x', readOnly: false, nocopy: false, subpath: '../../..' }] });
    await expect(mgr.resolveMounts({ project: { ...project, services: { bad } }, service: bad, number: 1, image: makeImage([layer]) })).rejects.toMatchObject({ code: 'SPEC_INVALID' });
  });

  it('takes volumes_from container mounts for paths the service does not mount', async () => {
    const s = makeService('s', { volumesFrom: ['container:other:ro'], volumes: [{ type: 'tmpfs', target: '/a', readOnly: false }] });
    const r = await mgr.resolveMounts({
      project: proj('vf', [s], {}),
      service: s,
      number: 1,
      image: makeImage([layer]),
      containerMounts: async (name) => (name === 'other' ? [
        { type: 'bind', source: '/h/a', target: '/a', readOnly: false },
        { type: 'bind', source: '/h/b', target: '/b', readOnly: false },
        { type: 'tmpfs', target: '/t', readOnly: false },
      ] : undefined),
    });
    expect(r.mounts).toEqual([
      { type: 'tmpfs', target: '/a', readOnly: false, options: [] },
      { type: 'bind', source: '/h/b', target: '/b', readOnly: true },
    ]);
    const missing = makeService('m', { volumesFrom: ['container:ghost'] });
    await expect(mgr.resolveMounts({ project: proj('vf', [missing], {}), service: missing, number: 1, image: makeImage([layer]) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('remove deletes one volume; removeProjectVolumes spares external and other projects', async () => {
    const p = `d${tag}`;
    await mgr.ensure(p, 'one', vol(`${p}_one`));
    await mgr.ensure(p, 'two', vol(`${p}_two`));
    await mgr.ensure(`o${tag}`, 'keep', vol(`o${tag}_keep`));
    const ext = `dext${tag}`;
    await mgr.create(ext);
    await mgr.ensure(p, 'e', vol(ext, { external: true }));
    const web = makeService('web', { volumes: [{ type: 'volume', target: '/anon', readOnly: false, nocopy: false }] });
    await mgr.resolveMounts({ project: proj(p, [web], {}), service: web, number: 1, image: makeImage([layer]) });
    const anon = anonymousVolumeName(p, 'web', 1, '/anon');
    expect((await mgr.list({ project: p })).map((v) => v.Name).sort()).toEqual([`${p}_one`, `${p}_two`, anon].sort());

    await mgr.remove(`${p}_two`);
    expect(await mgr.inspect(`${p}_two`)).toBeUndefined();
    await expect(mgr.remove(`${p}_two`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await mgr.remove(`${p}_two`, { force: true });

    const removed = await mgr.removeProjectVolumes(p);
    expect(removed.sort()).toEqual([`${p}_one`, anon].sort());
    expect(await mgr.inspect(ext)).toBeDefined();
    expect(await mgr.inspect(`o${tag}_keep`)).toBeDefined();
    expect(readdirSync(join(dir, 'root', 'volumes')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('down without -v detaches anonymous volumes: kept on disk, fresh ones on the next up', async () => {
    const p = `rel${tag}`;
    const web = makeService('web', { volumes: [{ type: 'volume', target: '/anon', readOnly: false, nocopy: false }] });
    const req = { project: proj(p, [web], {}), service: web, number: 1, image: makeImage([layer]) };
    const first = (await mgr.resolveMounts(req)).mounts[0]?.source as string;
    writeFileSync(join(first, 'old'), 'x');
    const released = await mgr.releaseAnonymousVolumes(p);
    expect(released).toHaveLength(1);
    const kept = await mgr.inspect(released[0] as string);
    expect(kept?.Labels).toMatchObject({ 'com.docker.volume.anonymous': '', [LABEL_PROJECT]: p });
    expect(readFileSync(join(kept?.Mountpoint as string, 'old'), 'utf8')).toBe('x');
    const second = (await mgr.resolveMounts(req)).mounts[0]?.source as string;
    expect(second).toBe(first); // same stable slot name, but a new, empty volume
    expect(readdirSync(second)).toEqual([]);
    expect((await mgr.prune()).removed).toEqual(expect.arrayContaining([released[0]]));
  });

  it('refuses to remove a volume in use', async () => {
    const m = new VolumeManager({ root: join(dir, 'root'), inUse: async (n) => n === `busy${tag}` });
    await m.create(`busy${tag}`);
    await expect(m.remove(`busy${tag}`)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await m.inspect(`busy${tag}`)).toBeDefined();
  });

  it('a driver_opts bind volume is in use while a container mounts its device path', async () => {
    const root = join(dir, `root-dev${tag}`);
    const device = join(dir, `device${tag}`);
    mkdirSync(device);
    const m = new VolumeManager({ root });
    const v = vol(`p${tag}_bound`, { driverOpts: { type: 'none', o: 'bind', device } });
    await m.ensure(`p${tag}`, 'bound', v);
    // a container's bundle, as the runtime writes it, mounting the device path straight
    const bundle = join(root, 'containers', `c${tag}`, 'bundle');
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ mounts: [{ destination: '/data', type: 'bind', source: device, options: ['rbind'] }] }));
    expect(await m.usedVolumes()).toContain(v.name);
    await expect(m.remove(v.name)).rejects.toMatchObject({ code: 'CONFLICT' });
    rmSync(join(root, 'containers', `c${tag}`), { recursive: true });
    await m.remove(v.name);
    expect(existsSync(device)).toBe(true); // the host directory itself is never removed
  });
});
