import { describe, expect, it } from 'vitest';
import { parseCri } from '../../src/engine/logs.js';
import { toSummary, humanDuration } from '../../src/engine/format.js';
import { parseExecArgs } from '../../src/cli/verbs/exec.js';
import { parseSince } from '../../src/cli/log-printer.js';
import { parseScale } from '../../src/cli/project-ref.js';
import { toObserved, newContainerId } from '../../src/supervisor/labels.js';
import type { ContainerInfo } from '../../src/runtime/api.js';

const info = (over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: 'p-web-1-abcd', name: 'p-web-1', project: 'p', service: 'web', number: 1,
  labels: {
    'com.docker.compose.config-hash': 'h1', 'com.docker.compose.container-number': '1', 'com.docker.compose.service': 'web',
    'org.tscompose.image-ref': 'busybox:latest', 'org.tscompose.command': '["sh","-c","echo hi"]', 'org.tscompose.ports': '127.0.0.1:8080->80/tcp',
  },
  status: 'running', createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:01Z', logPath: '/x', pid: 42, ...over,
});

describe('CRI log parsing', () => {
  it('reads complete lines and joins partial ones', () => {
    const cur = { partial: '' };
    const text = '2026-01-01T00:00:00.1Z stdout F hello\n2026-01-01T00:00:00.2Z stderr P par\n2026-01-01T00:00:00.3Z stderr F tial\nbogus\n';
    expect(parseCri(text, info(), cur).map((l) => `${l.stream}:${l.text}`)).toEqual(['stdout:hello', 'stderr:partial']);
  });
});

describe('ps rows', () => {
  it('formats a running container as Compose does', () => {
    const s = toSummary(info(), 'healthy', Date.parse('2026-01-01T00:00:31Z'));
    expect([s.State, s.Status, s.Command, s.Image, s.Pid]).toEqual(['running', 'Up 30 seconds (healthy)', '"sh -c echo hi"', 'busybox:latest', 42]);
    expect(s.Publishers).toEqual([{ URL: '127.0.0.1', PublishedPort: 8080, TargetPort: 80, Protocol: 'tcp' }]);
  });
  it('formats an exited container with its code', () => {
    const s = toSummary(info({ status: 'stopped', exit: { exitCode: 3, oomKilled: false, finishedAt: '2026-01-01T00:02:00Z' } }), '', Date.parse('2026-01-01T00:04:00Z'));
    expect([s.State, s.Status, s.ExitCode]).toEqual(['exited', 'Exited (3) 2 minutes ago', 3]);
    expect(humanDuration(500)).toBe('Less than a second');
  });
});

describe('observed snapshot from runtime records', () => {
  it('takes number and hash from the labels and marks held containers', () => {
    const o = toObserved(info({ status: 'stopped', exit: { exitCode: 1, oomKilled: true, finishedAt: '2026-01-01T00:00:05Z' } }), new Set(['p-web-1-abcd']));
    expect(o).toMatchObject({ number: 1, hash: 'h1', status: 'stopped', noRestart: true, exit: { exitCode: 1, oomKilled: true, startedAtMs: Date.parse('2026-01-01T00:00:01Z') } });
    expect(newContainerId('My_Proj-web-1')).toMatch(/^my-proj-web-1-[0-9a-f]{8}$/);
  });
});

describe('CLI argument parsing', () => {
  it('exec options end at the service name', () => {
    expect(parseExecArgs(['-it', '--index', '2', '-e', 'A=1', '-u', 'www', 'web', 'ls', '-la'])).toEqual({
      service: 'web', argv: ['ls', '-la'], index: 2, env: ['A=1'], user: 'www', tty: true, interactive: true,
    });
    expect(() => parseExecArgs(['web'])).toThrow(/usage/);
  });
  it('--since takes relative durations, timestamps and dates', () => {
    expect(parseSince('1h30m', 10_000_000)).toBe(10_000_000 - 5_400_000);
    expect(parseSince('1700000000')).toBe(1_700_000_000_000);
    expect(parseSince('2026-01-01T00:00:00Z')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(parseSince('soon')).toBeUndefined();
  });
  it('scale pairs', () => {
    expect(parseScale(['web=3', 'db=0'])).toEqual({ web: 3, db: 0 });
    expect(() => parseScale(['web'])).toThrow(/SERVICE=NUMBER/);
  });
});
