/**
 * Volumes with real containers (NativeRuntime over native/build/tsc-runtime, busybox image):
 * data in a named volume outlives its container; a volume is seeded from the image; a read-only root
 * refuses writes while tmpfs and volumes stay writable; a bind mount shows host edits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeRuntime } from '../../src/runtime/native-runtime.js';
import type { ContainerCreateRequest, ResolvedMount } from '../../src/runtime/api.js';
import type { Project, Service, Volume } from '../../src/spec/model.js';
import { VolumeManager } from '../../src/volume/manager.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { makeImage, makeService, uniqueId } from '../helpers/runtime-fixtures.js';
import { makeProject } from '../helpers/service.js';

let base: string;
let rt: NativeRuntime;
let vm: VolumeManager;
let rootfs: string;
const made: string[] = [];
const pname = `vrt${process.pid}${Math.floor(Math.random() * 1e5)}`;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), `tsc-vol-rt-${process.pid}-`));
  rt = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run', 'runtime') });
  vm = new VolumeManager({ root: join(base, 'root') });
  rootfs = busyboxRootfs();
});

afterEach(async () => {
  for (const id of made.splice(0)) await rt.remove(id, { force: true }).catch(() => undefined);
});

afterAll(async () => {
  for (const id of made.splice(0)) await rt.remove(id, { force: true }).catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

const vol = (name: string): Volume => ({ name, driver: 'local', driverOpts: {}, external: false, labels: {} });

function project(svc: Service): Project {
  return { ...makeProject(pname, [svc], base), volumes: { data: vol(`${pname}_data`), www: vol(`${pname}_www`) } };
}

async function run(svc: Service, mounts: ResolvedMount[], name = `${pname}-${svc.name}-1`): Promise<string> {
  const id = uniqueId('vol');
  made.push(id);
  const req: ContainerCreateRequest = { id, name, project: pname, service: svc.name, number: 1, spec: svc, image: makeImage([rootfs]), mounts, labels: {} };
  await rt.create(req);
  await rt.start(id);
  return id;
}

async function mountsFor(svc: Service): Promise<ResolvedMount[]> {
  return (await vm.resolveMounts({ project: project(svc), service: svc, number: 1, image: makeImage([rootfs]) })).mounts;
}

describe('volumes in real containers', () => {
  it('data written to a named volume survives removing the container; a new container sees it', async () => {
    const writer = makeService({ name: 'db', command: ['sh', '-c', 'echo record-1 >> /data/log && sync'], volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false, nocopy: false }] });
    const id1 = await run(writer, await mountsFor(writer));
    expect((await rt.wait(id1)).exitCode).toBe(0);
    await rt.remove(id1, { force: true });

    const reader = { ...writer, command: ['sleep', '600'] };
    const id2 = await run(reader, await mountsFor(reader));
    const r = await rt.exec(id2, { argv: ['cat', '/data/log'] });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'record-1\n' });
    const info = await vm.inspect(`${pname}_data`);
    expect(readFileSync(join(info?.Mountpoint as string, 'log'), 'utf8')).toBe('record-1\n');
  });

  it('an empty named volume is seeded from the image content at its mount point', async () => {
    const web = makeService({ name: 'web', command: ['sleep', '600'], volumes: [{ type: 'volume', source: 'www', target: '/var/www', readOnly: false, nocopy: false }] });
    const id = await run(web, await mountsFor(web));
    const r = await rt.exec(id, { argv: ['cat', '/var/www/index.html'] });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'hello from busybox\n' });
  });

  it('volumes_from a container shares its volume and bind mounts (read-only with :ro)', async () => {
    const hostDir = join(base, 'vf-bind');
    const src = makeService({
      name: 'src',
      command: ['sh', '-c', 'echo shared > /data/vf && sleep 600'],
      volumes: [
        { type: 'volume', source: 'data', target: '/data', readOnly: false, nocopy: false },
        { type: 'bind', source: hostDir, target: '/cfg', readOnly: false, createHostPath: true },
      ],
    });
    const srcName = `${pname}-vfsrc-${process.pid}`;
    await run(src, await mountsFor(src), srcName);
    writeFileSync(join(hostDir, 'c'), 'cfg\n');
    const user = makeService({ name: 'user', command: ['sleep', '600'], volumesFrom: [`container:${srcName}:ro`] });
    const m = await mountsFor(user);
    expect(m.map((x) => [x.target, x.readOnly]).sort()).toEqual([['/cfg', true], ['/data', true]]);
    const id = await run(user, m);
    await eventually(async () => (await rt.exec(id, { argv: ['cat', '/data/vf'] })).stdout === 'shared\n', { what: 'shared volume content' });
    expect((await rt.exec(id, { argv: ['cat', '/cfg/c'] })).stdout).toBe('cfg\n');
    expect((await rt.exec(id, { argv: ['sh', '-c', 'echo no > /data/x'] })).exitCode).not.toBe(0);
  });

  it('a read-only root refuses writes while tmpfs, volumes and binds stay writable', async () => {
    const hostDir = join(base, 'bind-src');
    const svc = makeService({
      name: 'ro',
      command: ['sleep', '600'],
      readOnly: true,
      tmpfs: [{ target: '/scratch', sizeBytes: 8 << 20, options: [] }],
      volumes: [
        { type: 'volume', source: 'data', target: '/data', readOnly: false, nocopy: false },
        { type: 'bind', source: hostDir, target: '/host', readOnly: false, createHostPath: true },
        { type: 'bind', source: hostDir, target: '/host-ro', readOnly: true, createHostPath: true },
      ],
    });
    const id = await run(svc, await mountsFor(svc));
    expect((await rt.exec(id, { argv: ['sh', '-c', 'echo x > /rootfile'] })).exitCode).not.toBe(0);
    expect((await rt.exec(id, { argv: ['sh', '-c', 'echo x > /scratch/f && cat /scratch/f'] }))).toMatchObject({ exitCode: 0, stdout: 'x\n' });
    expect((await rt.exec(id, { argv: ['sh', '-c', 'echo y > /data/ro-test'] })).exitCode).toBe(0);
    const tm = await rt.exec(id, { argv: ['sh', '-c', 'grep " /scratch " /proc/mounts'] });
    expect(tm.stdout).toMatch(/^tmpfs \/scratch tmpfs rw,.*size=8192k/m);
    // a bind mount shows host edits, and writes from the container reach the host
    writeFileSync(join(hostDir, 'from-host'), 'edited on host\n');
    expect((await rt.exec(id, { argv: ['cat', '/host/from-host'] })).stdout).toBe('edited on host\n');
    expect((await rt.exec(id, { argv: ['sh', '-c', 'echo back > /host/from-ctr'] })).exitCode).toBe(0);
    expect(readFileSync(join(hostDir, 'from-ctr'), 'utf8')).toBe('back\n');
    expect((await rt.exec(id, { argv: ['sh', '-c', 'echo z > /host-ro/nope'] })).exitCode).not.toBe(0);
  });
});
