/** Pure parts of port, ls, version, rm and the paused ps row. */
import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../../src/api.js';
import { parsePrivatePort, publishedPort } from '../../src/engine/port.js';
import { combinedStatus, lsTable, parseLsFilters, projectRows } from '../../src/engine/projects.js';
import { asPaused } from '../../src/engine/paused.js';
import { versionText } from '../../src/cli/verbs/version.js';
import { isYes } from '../../src/cli/verbs/rm-run.js';
import { imagesToRemove, parseRmi } from '../../src/cli/verbs/down-rmi.js';
import type { Project } from '../../src/spec/model.js';
import { bytesSize, parseNetDev, statsRow, statsTable } from '../../src/engine/stats.js';

const row = (o: Partial<ContainerSummary>): ContainerSummary => ({
  ID: 'id1', Name: 'p-web-1', Project: 'p', Service: 'web', Number: 1, Image: 'busybox', Command: '""', State: 'running',
  Status: 'Up 3 seconds', Health: '', ExitCode: 0, CreatedAt: new Date(0).toISOString(), Publishers: [], Labels: {}, ...o,
});

describe('port', () => {
  const rows = [
    row({ Publishers: [{ URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' }, { URL: '127.0.0.1', TargetPort: 53, PublishedPort: 5353, Protocol: 'udp' }] }),
    row({ ID: 'id2', Name: 'p-web-2', Number: 2, Publishers: [{ URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8081, Protocol: 'tcp' }] }),
  ];
  it('prints HOST:PORT of the replica and protocol asked for', () => {
    expect(publishedPort(rows, { service: 'web', index: 1, port: 80, protocol: 'tcp' })).toBe('0.0.0.0:8080');
    expect(publishedPort(rows, { service: 'web', index: 2, port: 80, protocol: 'tcp' })).toBe('0.0.0.0:8081');
    expect(publishedPort(rows, { service: 'web', index: 1, port: 53, protocol: 'udp' })).toBe('127.0.0.1:5353');
  });
  it('fails as Compose on an unpublished port or a missing replica', () => {
    expect(() => publishedPort(rows, { service: 'web', index: 1, port: 53, protocol: 'tcp' })).toThrow('no port 53/tcp for container p-web-1');
    expect(() => publishedPort(rows, { service: 'web', index: 3, port: 80, protocol: 'tcp' })).toThrow('is not running container #3');
  });
  it('takes PRIVATE_PORT as N or N/PROTO', () => {
    expect(parsePrivatePort('80', 'tcp')).toEqual({ port: 80, protocol: 'tcp' });
    expect(parsePrivatePort('53/udp', 'tcp')).toEqual({ port: 53, protocol: 'udp' });
    expect(() => parsePrivatePort('http', 'tcp')).toThrow('invalid private port');
    expect(() => parsePrivatePort('80', 'sctp')).toThrow('invalid protocol');
  });
});

describe('ls', () => {
  const cs = [
    { project: 'b', state: 'running' as const, configFiles: '/b/compose.yaml' },
    { project: 'a', state: 'exited' as const, configFiles: '/a/compose.yaml,/a/compose.override.yaml' },
    { project: 'b', state: 'exited' as const, configFiles: '/b/compose.yaml' },
    { project: 'b', state: 'running' as const, configFiles: '/b/compose.yaml' },
    { project: 'c', state: 'paused' as const, configFiles: '/c/compose.yaml' },
  ];
  it('counts states as Compose combinedStatus does (sorted by state)', () => {
    expect(combinedStatus(['running', 'exited', 'running', 'created'])).toBe('created(1), exited(1), running(2)');
  });
  it('lists projects with running containers, or every project with -a', () => {
    expect(projectRows(cs, { all: false, names: [] })).toEqual([
      { Name: 'b', Status: 'running(2)', ConfigFiles: '/b/compose.yaml' },
      { Name: 'c', Status: 'paused(1)', ConfigFiles: '/c/compose.yaml' },
    ]);
    expect(projectRows(cs, { all: true, names: [] }).map((r) => `${r.Name} ${r.Status} ${r.ConfigFiles}`)).toEqual([
      'a exited(1) /a/compose.yaml,/a/compose.override.yaml',
      'b exited(1), running(2) /b/compose.yaml',
      'c paused(1) /c/compose.yaml',
    ]);
  });
  it('filters by name only (a pattern matched anywhere in the name)', () => {
    expect(parseLsFilters(['name=b'])).toEqual(['b']);
    expect(() => parseLsFilters(['status=running'])).toThrow('only name=NAME');
    expect(projectRows(cs, { all: true, names: ['^[ab]$'] }).map((r) => r.Name)).toEqual(['a', 'b']);
  });
  it('prints Compose\'s table', () => {
    const t = lsTable([{ Name: 'demo', Status: 'running(3)', ConfigFiles: '/srv/demo/compose.yaml' }]);
    expect(t).toBe(`${'NAME'.padEnd(20)}${'STATUS'.padEnd(20)}CONFIG FILES\n${'demo'.padEnd(20)}${'running(3)'.padEnd(20)}/srv/demo/compose.yaml\n`);
  });
});

describe('version, rm prompt, paused rows', () => {
  it('version prints as docker compose version', () => {
    expect(versionText('1.2.3', {})).toBe('tscompose version v1.2.3\n');
    expect(versionText('1.2.3', { short: true })).toBe('1.2.3\n');
    expect(versionText('1.2.3', { format: 'json' })).toBe('{"version":"v1.2.3"}\n');
    expect(() => versionText('1.2.3', { format: 'yaml' })).toThrow('invalid format');
  });
  it('rm takes y or yes as consent, anything else as no', () => {
    for (const a of ['y', 'Y', 'yes', ' YES ']) expect(isYes(a)).toBe(true);
    for (const a of ['', 'n', 'no', 'yep']) expect(isYes(a)).toBe(false);
  });
  it('a paused container reads "Up ... (Paused)" as in Docker', () => {
    expect(asPaused(row({ Status: 'Up 5 minutes (healthy)' }))).toMatchObject({ State: 'paused', Status: 'Up 5 minutes (Paused)' });
    expect(asPaused(row({ Status: 'Up Less than a second' })).Status).toBe('Up Less than a second (Paused)');
  });
});

describe('down --rmi', () => {
  const project = { name: 'p', services: { a: { name: 'a', image: 'busybox:1' }, b: { name: 'b' }, c: { name: 'c', image: 'busybox:1' } } } as unknown as Project;
  it('all: every service image once; local: only the default-named ones', () => {
    expect(imagesToRemove('all', project, [])).toEqual(['busybox:1', 'p-b']);
    expect(imagesToRemove('local', project, [])).toEqual(['p-b']);
    expect(imagesToRemove('all', undefined, ['x:1', 'x:1', 'y:2'])).toEqual(['x:1', 'y:2']);
    expect(parseRmi(undefined)).toBeUndefined();
    expect(() => parseRmi('none')).toThrow('invalid --rmi');
  });
});

describe('stats', () => {
  it('formats as docker stats: binary memory units, decimal network units, CPU over wall time', () => {
    expect(bytesSize(512)).toBe('512B');
    expect(bytesSize(1536 * 1024)).toBe('1.5MiB');
    const dev = 'Inter-|   Receive\n face |bytes packets\n    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0\n  eth0: 1200 3 0 0 0 0 0 0 648 2 0 0 0 0 0 0\n';
    expect(parseNetDev(dev)).toEqual({ rx: 1200, tx: 648 });
    const a = { at: 1000, stats: { memoryBytes: 0, cpuUsageNs: 0, pids: 1 }, net: { rx: 0, tx: 0 } };
    const b = { at: 2000, stats: { memoryBytes: 2 * 1024 * 1024, memoryLimitBytes: 8 * 1024 * 1024, cpuUsageNs: 250_000_000, pids: 3 }, net: { rx: 1200, tx: 648 } };
    const r = statsRow({ ID: 'p-web-1-ab', Name: 'p-web-1' }, a, b);
    expect(r).toEqual({ BlockIO: '0B / 0B', CPUPerc: '25.00%', Container: 'p-web-1-ab', ID: 'p-web-1-ab', MemPerc: '25.00%', MemUsage: '2MiB / 8MiB', Name: 'p-web-1', NetIO: '1.2kB / 648B', PIDs: '3' });
    expect(statsTable([r]).split('\n')[0]).toBe('CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O   PIDS'); // Docker's tabwriter: columns ≥ 10
  });
});
