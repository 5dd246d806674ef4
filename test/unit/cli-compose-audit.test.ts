/** Pure pieces of the Compose-compatibility audit: Go durations for --since/--until, ps's Go-style times, filters and table layout. */
import { describe, expect, it } from 'vitest';
import { parseGoDuration, parseSince } from '../../src/cli/log-printer.js';
import { goTime, psJsonRow, psTable, statusFilter } from '../../src/cli/ps-format.js';
import { alignColumns } from '../../src/cli/go-template.js';
import { toSummary } from '../../src/engine/format.js';

describe('--since / --until', () => {
  it('take Go durations as Docker does (fractions, ms, several units)', () => {
    expect(parseGoDuration('10m')).toBe(600_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('2h45m30s')).toBe((2 * 3600 + 45 * 60 + 30) * 1000);
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseSince('90s', 1_000_000)).toBe(910_000);
    expect(parseSince('1700000000.5')).toBe(1_700_000_000_500);
    expect(parseSince('2026-01-01')).toBe(Date.parse('2026-01-01'));
    expect(parseSince('10 minutes')).toBeUndefined();
  });
});

describe('ps details', () => {
  const info = {
    id: 'p-web-1-abcd', name: 'p-web-1', project: 'p', service: 'web', number: 1, logPath: '/x', status: 'running' as const,
    labels: { 'org.tscompose.image-ref': 'busybox:latest', 'org.tscompose.command': '["sh"]', 'org.tscompose.ports': '127.0.0.1:8080->80/tcp' },
    createdAt: '2026-01-01T10:20:30.456Z', startedAt: '2026-01-01T10:20:31Z',
  };
  it('CreatedAt reads as Go\'s time.String(), Created is Unix seconds, Publishers in Compose\'s field order', () => {
    const row = psJsonRow(toSummary(info, '', Date.parse('2026-01-01T10:21:00Z')), { trunc: true });
    expect(row.CreatedAt).toBe('2026-01-01 10:20:30 +0000 UTC');
    expect(goTime('bad')).toBe('bad');
    expect(row.Created).toBe(Math.floor(Date.parse('2026-01-01T10:20:30Z') / 1000));
    expect(Object.keys(row.Publishers[0] ?? {})).toEqual(['URL', 'TargetPort', 'PublishedPort', 'Protocol']);
  });
  it('--filter errors are Compose\'s', () => {
    expect(() => statusFilter([], ['status'])).toThrow('arguments to --filter should be in form KEY=VAL');
    expect(() => statusFilter([], ['name=x'])).toThrow(/^unknown filter name/);
  });
  it('tables pad every column to at least 10 characters, 3 spaces after the longest cell', () => {
    expect(alignColumns(['A\tBB\tC', 'long-cell-value\tx\t'])).toEqual([`${'A'.padEnd(18)}${'BB'.padEnd(10)}C`, `${'long-cell-value'.padEnd(18)}x`]);
    const t = psTable([toSummary({ ...info, name: 'a-b-1' }, '')], { trunc: true }).split('\n');
    expect(t[0]?.startsWith('NAME      IMAGE')).toBe(true);
  });
});

describe('progress words', () => {
  it('a removal reads Stopping, Stopped, Removing, Removed as Compose prints it; networks Removing, Removed', async () => {
    const { removalSteps } = await import('../../src/cli/progress-names.js');
    const seen: string[] = [];
    const on = removalSteps((e) => seen.push(e.type === 'resource' ? `${e.resource} ${e.status}` : e.text));
    on({ type: 'resource', resource: 'Container p-web-1', status: 'Stopping', done: false });
    on({ type: 'resource', resource: 'Container p-once-1', status: 'Removed', done: true });
    on({ type: 'resource', resource: 'Container p-web-1', status: 'Removed', done: true });
    on({ type: 'resource', resource: 'Network p_default', status: 'Removing', done: false });
    on({ type: 'resource', resource: 'Network p_default', status: 'Removed', done: true });
    expect(seen).toEqual([
      'Container p-web-1 Stopping', 'Container p-once-1 Removing', 'Container p-once-1 Removed',
      'Container p-web-1 Stopped', 'Container p-web-1 Removing', 'Container p-web-1 Removed',
      'Network p_default Removing', 'Network p_default Removed',
    ]);
  });
});
