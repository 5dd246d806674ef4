import { describe, expect, it } from 'vitest';
import { anonymousVolumeName, parseVolumesFrom, planMounts } from '../../src/volume/plan.js';
import { makeProject, makeService } from '../helpers/service.js';
import type { Project, Service, Volume } from '../../src/spec/model.js';

const vol = (name: string, o: Partial<Volume> = {}): Volume => ({ name, driver: 'local', driverOpts: {}, external: false, labels: {}, ...o });

function project(services: Service[], volumes: Record<string, Volume> = {}): Project {
  return { ...makeProject('p', services), volumes };
}

describe('planMounts', () => {
  it('maps named, anonymous, bind and tmpfs mounts and sorts parents first', () => {
    const web = makeService('web', {
      volumes: [
        { type: 'volume', source: 'data', target: '/srv/data/', readOnly: false, nocopy: false },
        { type: 'bind', source: '/host/conf', target: '/etc/app', readOnly: true, createHostPath: true },
        { type: 'volume', target: '/cache', readOnly: false, nocopy: true },
        { type: 'tmpfs', target: '/srv', readOnly: false, sizeBytes: 1024, mode: 0o700 },
      ],
      tmpfs: [{ target: '/run', sizeBytes: 4096, options: ['exec'] }],
    });
    const plan = planMounts(project([web], { data: vol('p_data') }), web, 1, []);
    expect(plan).toEqual([
      { kind: 'volume', target: '/cache', readOnly: false, name: anonymousVolumeName('p', 'web', 1, '/cache'), nocopy: true },
      { kind: 'tmpfs', target: '/srv', readOnly: false, options: ['size=1024', 'mode=0700'] },
      { kind: 'tmpfs', target: '/run', readOnly: false, options: ['exec', 'size=4096'] },
      { kind: 'volume', target: '/srv/data', readOnly: false, name: 'p_data', key: 'data', nocopy: false },
      { kind: 'bind', target: '/etc/app', readOnly: true, source: '/host/conf', createHostPath: true },
    ]);
  });

  it('gives image VOLUMEs anonymous volumes unless the service mounts that path', () => {
    const web = makeService('web', { volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false, nocopy: false }] });
    const plan = planMounts(project([web], { data: vol('p_data') }), web, 2, ['/data', '/logs/', 'relative']);
    expect(plan.map((m) => m.kind === 'from-container' ? '' : `${m.target}=${m.kind === 'volume' ? m.name : ''}`)).toEqual([
      '/data=p_data',
      `/logs=${anonymousVolumeName('p', 'web', 2, '/logs')}`,
    ]);
  });

  it('anonymous volume names are stable per replica and target', () => {
    const a = anonymousVolumeName('p', 'web', 1, '/x');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(anonymousVolumeName('p', 'web', 1, '/x')).toBe(a);
    expect(anonymousVolumeName('p', 'web', 2, '/x')).not.toBe(a);
  });

  it('refuses duplicate targets, relative targets, / and undefined volumes', () => {
    const dup = makeService('web', {
      volumes: [{ type: 'bind', source: '/a', target: '/x', readOnly: false, createHostPath: true }],
      tmpfs: [{ target: '/x/', options: [] }],
    });
    expect(() => planMounts(project([dup]), dup, 1, [])).toThrow(/duplicate mount point: \/x/);
    const rel = makeService('web', { volumes: [{ type: 'volume', target: 'x', readOnly: false, nocopy: false }] });
    expect(() => planMounts(project([rel]), rel, 1, [])).toThrow(/must be absolute/);
    const root = makeService('web', { volumes: [{ type: 'volume', target: '/', readOnly: false, nocopy: false }] });
    expect(() => planMounts(project([root]), root, 1, [])).toThrow(/can't be '\/'/);
    const undef = makeService('web', { volumes: [{ type: 'volume', source: 'nope', target: '/x', readOnly: false, nocopy: false }] });
    expect(() => planMounts(project([undef]), undef, 1, [])).toThrow(/undefined volume nope/);
  });

  it('volumes_from takes the other service\'s volumes and binds, with ro/rw, below its own mounts', () => {
    const db = makeService('db', {
      volumes: [
        { type: 'volume', source: 'data', target: '/data', readOnly: false, nocopy: false },
        { type: 'bind', source: '/h', target: '/conf', readOnly: false, createHostPath: true },
        { type: 'volume', target: '/anon', readOnly: false, nocopy: false },
        { type: 'tmpfs', target: '/tmp', readOnly: false },
      ],
    });
    const backup = makeService('backup', {
      volumesFrom: ['db:ro', 'container:other-1'],
      volumes: [{ type: 'bind', source: '/mine', target: '/conf', readOnly: false, createHostPath: true }],
    });
    const plan = planMounts(project([db, backup], { data: vol('p_data') }), backup, 1, []);
    expect(plan).toEqual([
      { kind: 'from-container', container: 'other-1' },
      { kind: 'bind', target: '/conf', readOnly: false, source: '/mine', createHostPath: true },
      { kind: 'volume', target: '/data', readOnly: true, name: 'p_data', key: 'data', nocopy: false },
      { kind: 'volume', target: '/anon', readOnly: true, name: anonymousVolumeName('p', 'db', 1, '/anon'), nocopy: false },
    ]);
  });

  it('refuses volumes_from cycles and unknown services', () => {
    const a = makeService('a', { volumesFrom: ['b'] });
    const b = makeService('b', { volumesFrom: ['a'] });
    expect(() => planMounts(project([a, b]), a, 1, [])).toThrow(/cycle/);
    const c = makeService('c', { volumesFrom: ['zzz'] });
    expect(() => planMounts(project([c]), c, 1, [])).toThrow(/unknown service "zzz"/);
  });
});

describe('parseVolumesFrom', () => {
  it('parses the forms Compose accepts', () => {
    expect(parseVolumesFrom('db')).toEqual({ kind: 'service', name: 'db' });
    expect(parseVolumesFrom('db:ro')).toEqual({ kind: 'service', name: 'db', mode: 'ro' });
    expect(parseVolumesFrom('service:db:rw')).toEqual({ kind: 'service', name: 'db', mode: 'rw' });
    expect(parseVolumesFrom('container:x-1')).toEqual({ kind: 'container', name: 'x-1' });
    expect(parseVolumesFrom('container:x-1:ro')).toEqual({ kind: 'container', name: 'x-1', mode: 'ro' });
    expect(() => parseVolumesFrom('')).toThrow();
  });
});
