/**
 * The early `down` (src/cli/early-down.ts): which command lines are sent before the CLI loads, and the
 * load inputs the supervisor compares (src/spec/inputs.ts) to decide it may serve one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { earlyDownOptions } from '../../src/cli/early-request.js';
import { verbIndex, verbOf } from '../../src/cli/verb-of.js';
import { inputsDiffer, recordInputs, type LoadInputs } from '../../src/spec/inputs.js';
import { loadProject } from '../../src/spec/index.js';

describe('earlyDownOptions', () => {
  it('reads the flags a plain down may carry', () => {
    expect(earlyDownOptions([])).toEqual({ volumes: false, removeOrphans: false });
    expect(earlyDownOptions(['-v', '--remove-orphans', '-t', '5'])).toEqual({ volumes: true, removeOrphans: true, timeoutMs: 5000 });
    expect(earlyDownOptions(['--volumes', '--timeout=0'])).toEqual({ volumes: true, removeOrphans: false, timeoutMs: 0 });
    expect(earlyDownOptions(['--timeout', '12'])).toEqual({ volumes: false, removeOrphans: false, timeoutMs: 12000 });
  });

  it('declines what only the full CLI reads (the verb then loads the files as usual)', () => {
    for (const words of [['--rmi', 'all'], ['-t'], ['-t', '1.5'], ['-t', '-1'], ['--timeout=x'], ['-vt', '3'], ['web'], ['--json'], ['-h'], ['--progress', 'plain']]) {
      expect(earlyDownOptions(words), words.join(' ')).toBeUndefined();
    }
  });
});

describe('verbIndex', () => {
  it('finds the verb after global options and their values', () => {
    expect(verbIndex(['-p', 'x', '-f', 'a.yaml', 'down', '-v'])).toBe(4);
    expect(verbIndex(['--progress', 'plain', 'down'])).toBe(2);
    expect(verbIndex(['--', 'down'])).toBe(1);
    expect(verbIndex(['-p', 'x'])).toBe(-1);
    expect(verbOf(['-p', 'x', 'down'])).toBe('down');
  });
});

const base = (over: Partial<LoadInputs> = {}): LoadInputs => ({
  cwd: '/w',
  args: ['-p', 'x'],
  services: [],
  env: { A: '1', PATH: '/bin' },
  probes: { 'read:/w/compose.yaml': 'services: {}\n', 'file:/w/compose.override.yml': false, 'exists:/w/.env': false },
  volatile: false,
  warnings: [],
  ...over,
});
const ask = { cwd: '/w', args: ['-p', 'x'], env: { A: '1', PATH: '/bin' } };
const disk = (over: Record<string, string | boolean | null> = {}) => (key: string) => (key in over ? over[key] : base().probes[key]);

describe('inputsDiffer', () => {
  it('finds nothing when the command line and the files are as they were', () => {
    expect(inputsDiffer(base(), ask, disk())).toBeUndefined();
  });

  it('names what differs', () => {
    expect(inputsDiffer(base(), { ...ask, cwd: '/v' }, disk())).toMatch(/working directory/);
    expect(inputsDiffer(base(), { ...ask, args: ['-p', 'y'] }, disk())).toMatch(/global options/);
    expect(inputsDiffer(base(), { ...ask, env: { A: '2', PATH: '/bin' } }, disk())).toMatch(/environment \(A\)/);
    expect(inputsDiffer(base(), { ...ask, env: { A: '1', PATH: '/bin', B: '' } }, disk())).toMatch(/environment/);
    expect(inputsDiffer(base(), ask, disk({ 'read:/w/compose.yaml': 'services: {a: {}}\n' }))).toMatch(/compose\.yaml/);
    expect(inputsDiffer(base(), ask, disk({ 'read:/w/compose.yaml': null }))).toMatch(/compose\.yaml/);
    expect(inputsDiffer(base(), ask, disk({ 'file:/w/compose.override.yml': true }))).toMatch(/override/);
    expect(inputsDiffer(base(), ask, disk({ 'exists:/w/.env': true }))).toMatch(/\.env/);
  });

  it('never matches a load that read stdin or named services', () => {
    expect(inputsDiffer(base({ volatile: true }), ask, disk())).toMatch(/standard input/);
    expect(inputsDiffer(base({ services: ['web'] }), ask, disk())).toMatch(/services/);
  });
});

describe('recordInputs around a real load', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('records the files read and the paths looked for, so that any change to them is seen', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsc-inputs-'));
    writeFileSync(join(dir, 'docker-compose.yml'), 'services:\n  web:\n    image: busybox\n    env_file: ./web.env\n');
    writeFileSync(join(dir, 'web.env'), 'X=1\n');
    const env = { PATH: '/bin' };
    const { result, probes, volatile } = await recordInputs(() => loadProject({ cwd: dir, env }));
    expect(Object.keys(result.project.services)).toEqual(['web']);
    expect(volatile).toBe(false);
    expect(probes[`read:${join(dir, 'docker-compose.yml')}`]).toContain('web:');
    expect(probes[`read:${join(dir, 'web.env')}`]).toBe('X=1\n');
    // compose.yaml comes first in discovery: its absence was part of the answer
    expect(probes[`file:${join(dir, 'compose.yaml')}`]).toBe(false);
    expect(probes[`exists:${join(dir, '.env')}`]).toBe(false);
    const rec = base({ cwd: dir, args: [], env, probes });
    const same = { cwd: dir, args: [], env };
    expect(inputsDiffer(rec, same)).toBeUndefined();
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  other:\n    image: busybox\n');
    expect(inputsDiffer(rec, same)).toMatch(/compose\.yaml/);
    rmSync(join(dir, 'compose.yaml'));
    expect(inputsDiffer(rec, same)).toBeUndefined();
    writeFileSync(join(dir, 'web.env'), 'X=2\n');
    expect(inputsDiffer(rec, same)).toMatch(/web\.env/);
  });
});
