import { describe, expect, it } from 'vitest';
import { parseRecord, containerPaths, checkId } from '../../src/runtime/container-store.js';
import { parseExit, parseExitText } from '../../src/runtime/runtime-state.js';
import { mountsUnder, parentCgroup } from '../../src/runtime/container-remove.js';
import { canonicalSignal, signalNumber } from '../../src/runtime/signals.js';
import { defaultHostsFile, resolvConfFor } from '../../src/runtime/etc-files.js';

const rec = {
  version: 1, id: 'c1', name: 'p-web-1', project: 'p', service: 'web', number: 1, labels: { a: 'b' }, createdAt: '2026-11-24T03:00:00Z',
  imageId: 'sha256:x', layerDirs: ['/l'], stopGracePeriodMs: 10000, cgroupsPath: 'tscompose/p/c1', env: ['A=1'], cwd: '/', uid: 0, gid: 0,
};

describe('container.json records', () => {
  it('a valid record round-trips; a stop signal is optional', () => {
    expect(parseRecord(JSON.parse(JSON.stringify(rec)))).toEqual(rec);
    expect(parseRecord({ ...rec, stopSignal: 'SIGUSR1' })?.stopSignal).toBe('SIGUSR1');
  });
  it('anything else is not ours', () => {
    expect(parseRecord({ ...rec, version: 2 })).toBeUndefined();
    expect(parseRecord({ ...rec, labels: { a: 1 } })).toBeUndefined();
    expect(parseRecord({ ...rec, number: '1' })).toBeUndefined();
    expect(parseRecord(null)).toBeUndefined();
  });
  it('ids are checked; paths are under <root>/containers/<id>', () => {
    expect(() => checkId('Bad_ID')).toThrow(/invalid container id/);
    expect(() => checkId('../x')).toThrow(/invalid container id/);
    expect(containerPaths('/r', 'c1')).toMatchObject({ dir: '/r/containers/c1', rootfs: '/r/containers/c1/bundle/rootfs', log: '/r/containers/c1/container.log' });
  });
});

describe('exit.json', () => {
  it('parses the shim format; a null signal is left out', () => {
    expect(parseExitText('{"exitCode":137,"signal":"SIGKILL","oomKilled":true,"finishedAt":"T"}')).toEqual({ exitCode: 137, signal: 'SIGKILL', oomKilled: true, finishedAt: 'T' });
    expect(parseExit({ exitCode: 0, signal: null, oomKilled: false, finishedAt: 'T' })).toEqual({ exitCode: 0, oomKilled: false, finishedAt: 'T' });
    expect(parseExitText('{"exitCo')).toBeUndefined();
    expect(parseExit({ signal: 'x' })).toBeUndefined();
  });
});

describe('removal helpers', () => {
  it('mounts at or under a directory, deepest first; a sibling with the same prefix is not one', () => {
    const mi = [
      '36 25 0:33 / /var/lib/tsc/containers/c1/bundle/rootfs rw - overlay overlay rw',
      '37 36 0:34 / /var/lib/tsc/containers/c1/bundle/rootfs/proc rw - proc proc rw',
      '38 25 0:35 / /var/lib/tsc/containers/c10 rw - tmpfs tmpfs rw',
      '39 25 0:36 / /var/lib/tsc/containers/c1\\040x rw - tmpfs tmpfs rw',
    ].join('\n');
    expect(mountsUnder(mi, '/var/lib/tsc/containers/c1')).toEqual(['/var/lib/tsc/containers/c1/bundle/rootfs/proc', '/var/lib/tsc/containers/c1/bundle/rootfs']);
    expect(mountsUnder(mi, '/var/lib/tsc/containers/c1 x')).toEqual(['/var/lib/tsc/containers/c1 x']);
    expect(parentCgroup('tscompose/p/c1')).toBe('tscompose/p');
  });
});

describe('signals and /etc files', () => {
  it('names and numbers', () => {
    expect(signalNumber('TERM')).toBe(15);
    expect(signalNumber('SIGKILL')).toBe(9);
    expect(signalNumber('10')).toBe(10);
    expect(canonicalSignal('usr1')).toBe('SIGUSR1');
    expect(() => signalNumber('SIGNOPE')).toThrow(/invalid signal/);
  });
  it('default hosts and resolv.conf', () => {
    expect(defaultHostsFile('h1', [{ hostname: 'db', ip: '10.0.0.5' }, { hostname: 'gw', ip: 'host-gateway' }])).toBe(
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.5\tdb\n127.0.1.1\th1\n',
    );
    const host = 'nameserver 127.0.0.53\nnameserver 9.9.9.9\nsearch corp\noptions edns0\n';
    expect(resolvConfFor({ dns: [], dnsSearch: [], dnsOpt: [] }, host, false)).toBe('nameserver 9.9.9.9\nsearch corp\noptions edns0\n');
    expect(resolvConfFor({ dns: [], dnsSearch: [], dnsOpt: [] }, host, true)).toContain('nameserver 127.0.0.53');
    expect(resolvConfFor({ dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOpt: ['ndots:2'] }, host, false)).toBe('nameserver 1.1.1.1\nsearch a.b\noptions ndots:2\n');
  });
});
