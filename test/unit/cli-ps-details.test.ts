/**
 * `ps --format json` Networks, Mounts and LocalVolumes (src/cli/ps-details.ts, src/cli/ps-format.ts), from the
 * records a container was made from, as Compose fills them from the engine.
 */
import { describe, expect, it } from 'vitest';
import { mountsOf, networksOf } from '../../src/cli/ps-details.js';
import { psJsonRow } from '../../src/cli/ps-format.js';
import type { ContainerSummary } from '../../src/api.js';

const ROOT = '/var/lib/tsc';
const ID = 'p-app-1-abcd';
const bind = (source: string, destination: string) => ({ destination, type: 'bind', source, options: ['rbind'] });

describe('mountsOf', () => {
  it('names volumes, gives binds by source, leaves out kernel filesystems, tmpfs and the runtime\'s own files', () => {
    const config = {
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
        bind(`${ROOT}/containers/${ID}/hosts`, '/etc/hosts'),
        bind(`${ROOT}/volumes/p_data/_data`, '/data'),
        bind('/srv/site', '/site'),
        bind(`${ROOT}/volumes/0123abcd/_data/sub`, '/anon'),
        { destination: '/run', type: 'tmpfs', source: 'tmpfs' },
      ],
    };
    expect(mountsOf(config, ROOT, ID)).toEqual({ mounts: ['p_data', '/srv/site', '0123abcd'], localVolumes: 2 });
  });
  it('anything unreadable is no mounts', () => {
    expect(mountsOf(undefined, ROOT, ID)).toEqual({ mounts: [], localVolumes: 0 });
    expect(mountsOf({ mounts: 'x' }, ROOT, ID)).toEqual({ mounts: [], localVolumes: 0 });
  });
});

describe('networksOf', () => {
  it('the names of the networks the container is linked to, sorted', () => {
    const project = { networks: { front: { name: 'p_front' }, back: { name: 'custom-back' } } };
    const container = { links: [{ network: 'front' }, { network: 'back' }] };
    expect(networksOf(project, container)).toEqual(['custom-back', 'p_front']);
    expect(networksOf(project, undefined)).toEqual([]);
  });
});

describe('psJsonRow with details', () => {
  const row: ContainerSummary = {
    ID: ID, Name: 'p-app-1', Project: 'p', Service: 'app', Number: 1, Image: 'busybox', Command: '"sh"', State: 'running',
    Status: 'Up 1 second', Health: '', ExitCode: 0, CreatedAt: new Date().toISOString(), Publishers: [], Labels: {},
  };
  const details = { networks: ['a_net', 'b_net'], mounts: ['p_data', '/a/very/long/host/path'], localVolumes: 1 };
  it('joins them by "," and counts local volumes as text; names cut to 15 characters unless --no-trunc', () => {
    expect(psJsonRow(row, { trunc: true }, Date.now(), details)).toMatchObject({ Networks: 'a_net,b_net', Mounts: 'p_data,/a/very/long/h\u2026', LocalVolumes: '1' });
    expect(psJsonRow(row, { trunc: false }, Date.now(), details)).toMatchObject({ Mounts: 'p_data,/a/very/long/host/path' });
    expect(psJsonRow(row, { trunc: true })).toMatchObject({ Networks: '', Mounts: '', LocalVolumes: '0' });
  });
});
