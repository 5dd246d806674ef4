import { describe, expect, it } from 'vitest';
import { ellipsis, psJsonRow, psTable, statusFilter } from '../../src/cli/ps-format.js';
import { humanDuration, toSummary } from '../../src/engine/format.js';
import { composeWords } from '../../src/cli/progress-names.js';
import { topText } from '../../src/cli/verbs/top.js';
import { eventText } from '../../src/cli/verbs/events.js';
import { cpuTime, ttyName } from '../../src/engine/top.js';
import { willRestart } from '../../src/supervisor/restarting.js';
import { emptyState } from '../../src/state/project-state.js';
import { DEFAULT_BACKOFF } from '../../src/controller/restart.js';
import type { ContainerInfo } from '../../src/runtime/api.js';
import type { ProgressEvent } from '../../src/api.js';
import type { Project, Service } from '../../src/spec/model.js';

const info = (over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: 'p-web-1-abcd', name: 'p-web-1', project: 'p', service: 'web', number: 1,
  labels: {
    'com.docker.compose.project': 'p', 'com.docker.compose.service': 'web', 'com.docker.compose.container-number': '1',
    'org.tscompose.image-ref': 'busybox:latest', 'org.tscompose.command': '["docker-entrypoint.sh","redis-server"]', 'org.tscompose.ports': '0.0.0.0:8080->80/tcp',
  },
  status: 'running', createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:01Z', logPath: '/x', pid: 42, ...over,
});

describe('durations as Docker words them (go-units HumanDuration)', () => {
  it('truncates seconds and says "About a minute" / "About an hour"', () => {
    expect([999, 1000, 1999, 59_999, 60_000, 119_000, 120_000, 3_599_000, 3_600_000, 47 * 3_600_000, 72 * 3_600_000].map(humanDuration)).toEqual([
      'Less than a second', '1 second', '1 second', '59 seconds', 'About a minute', 'About a minute', '2 minutes', '59 minutes',
      'About an hour', '47 hours', '3 days',
    ]);
  });
});

describe('ps output', () => {
  const now = Date.parse('2026-01-01T00:00:31Z');
  it('json rows carry docker ps fields: Labels as k=v text, Command quoted and cut to 20', () => {
    const row = psJsonRow(toSummary(info(), '', now), { trunc: true }, now);
    expect(row).toMatchObject({
      Name: 'p-web-1', Names: 'p-web-1', Service: 'web', Project: 'p', State: 'running', Status: 'Up 30 seconds', ExitCode: 0,
      Command: '"docker-entrypoint.s…"', Ports: '0.0.0.0:8080->80/tcp', RunningFor: '31 seconds ago',
      Publishers: [{ URL: '0.0.0.0', PublishedPort: 8080, TargetPort: 80, Protocol: 'tcp' }],
    });
    expect(row.Labels.split(',')).toContain('com.docker.compose.service=web');
    expect(psJsonRow(toSummary(info(), '', now), { trunc: false }, now).Command).toBe('"docker-entrypoint.sh redis-server"');
    expect(ellipsis('abc', 20)).toBe('abc');
  });
  it('a slot waiting out its restart delay is Restarting, with the exit code', () => {
    const s = toSummary(info({ status: 'stopped', exit: { exitCode: 1, oomKilled: false, finishedAt: '2026-01-01T00:00:29Z' } }), '', now, true);
    expect([s.State, s.Status]).toEqual(['restarting', 'Restarting (1) 2 seconds ago']);
  });
  it('the table has Compose\'s columns', () => {
    const t = psTable([toSummary(info(), '', now)], { trunc: true }).split('\n');
    expect(t[0]).toMatch(/^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS$/);
    expect(t[1]).toMatch(/^p-web-1 +busybox:latest +"docker-entrypoint\.s…" +web +.* ago +Up .* +0\.0\.0\.0:8080->80\/tcp$/);
  });
  it('--status and --filter status= take Docker\'s state names only', () => {
    expect(statusFilter(['running'], ['status=exited'])).toEqual(['running', 'exited']);
    expect(() => statusFilter(['sleeping'], [])).toThrow(/invalid status/);
    expect(() => statusFilter([], ['name=x'])).toThrow(/only status=/);
  });
});

describe('restarting (supervisor side)', () => {
  const svc = (restart: Service['restart']): Project => ({ name: 'p', services: { web: { name: 'web', restart } } } as unknown as Project);
  const stopped = info({ status: 'stopped', exit: { exitCode: 1, oomKilled: false, finishedAt: new Date().toISOString() } });
  it('is true only for an exited container its policy will start again', () => {
    const st = { ...emptyState('p'), project: svc({ condition: 'always' }), active: { web: { mode: 'running' as const } } };
    expect(willRestart(stopped, st, DEFAULT_BACKOFF)).toBe(true);
    expect(willRestart(stopped, { ...st, noRestart: [stopped.id] }, DEFAULT_BACKOFF)).toBe(false);
    expect(willRestart(stopped, { ...st, project: svc({ condition: 'no' }) }, DEFAULT_BACKOFF)).toBe(false);
    expect(willRestart(info(), st, DEFAULT_BACKOFF)).toBe(false);
  });
});

describe('progress words of start/restart', () => {
  const run = (verb: 'up' | 'start' | 'restart', events: ProgressEvent[]): string[] => {
    const out: string[] = [];
    const on = composeWords(verb, (e) => out.push(e.type === 'resource' ? e.status : e.text));
    for (const e of events) on(e);
    return out;
  };
  const r = (status: string, detail?: string): ProgressEvent => ({ type: 'resource', resource: 'Container p-web-1', status: status as never, done: false, ...(detail ? { detail } : {}) });
  it('restart: Restarting, Started; start: Starting, Started; up of an exited one: Starting, Started; a config recreate keeps its words', () => {
    const steps = (cause: string): ProgressEvent[] => [r('Recreate', cause), r('Recreated'), r('Starting'), r('Started')];
    expect(run('restart', steps('--force-recreate'))).toEqual(['Restarting', 'Started']);
    expect(run('start', steps('exited; started again'))).toEqual(['Starting', 'Started']);
    expect(run('up', steps('exited; started again'))).toEqual(['Starting', 'Started']);
    expect(run('up', steps('config hash changed'))).toEqual(['Recreate', 'Recreated', 'Starting', 'Started']);
  });
});

describe('top and events text', () => {
  it('top prints docker top\'s ps -ef columns', () => {
    const t = topText([{ container: 'p-web-1', processes: [{ uid: '0', user: 'root', pid: 7, ppid: 6, c: 0, stime: '05:50', tty: '?', time: '00:00:01', cmd: 'sh -c x' }] }]);
    expect(t.split('\n')).toEqual(['p-web-1', 'UID    PID   PPID   C   STIME   TTY   TIME       CMD', 'root   7     6      0   05:50   ?     00:00:01   sh -c x', '', '']);
    expect([cpuTime(100 * 3661), ttyName(0), ttyName((136 << 8) | 3)]).toEqual(['01:01:01', '?', 'pts/3']);
  });
  it('events text is "DATE TIME container ACTION ID (k=v, ...)"', () => {
    const line = eventText({ time: '2026-01-01T10:00:00.123Z', type: 'container', action: 'start', id: 'abc', service: 'web', attributes: { name: 'p-web-1', image: 'busybox' } });
    expect(line).toMatch(/^2026-01-01 \d\d:00:00\.123000 container start abc \(name=p-web-1, image=busybox\)\n$/);
  });
});
