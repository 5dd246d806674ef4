import { describe, expect, it } from 'vitest';
import { volumeNameProblem } from '../../src/volume/store.js';
import { localDriverMount } from '../../src/volume/driver-opts.js';
import { humanSize, renderTemplate } from '../../src/cli/verbs/volume-run.js';
import type { VolumeRecord } from '../../src/volume/store.js';

const rec = (options: Record<string, string>): VolumeRecord => ({ name: 'v1', driver: 'local', createdAt: '2026-01-01T00:00:00Z', labels: {}, options });

describe('volume names', () => {
  it('accepts Docker\'s local volume names and refuses the rest', () => {
    for (const ok of ['ab', 'p_data', 'my.vol-1', 'A9']) expect(volumeNameProblem(ok)).toBeUndefined();
    for (const bad of ['a', '', '_x', '.tmp-x', '../x', 'a/b', 'a b', '/abs']) expect(volumeNameProblem(bad)).toMatch(/invalid characters/);
  });
});

describe('local driver options', () => {
  it('plain volumes need no special mount', () => {
    expect(localDriverMount(rec({}), '/d', false)).toBeUndefined();
  });
  it('o=bind with a device becomes a bind of that path', () => {
    expect(localDriverMount(rec({ type: 'none', o: 'bind', device: '/srv/x' }), '/d', false)).toEqual({ type: 'bind', source: '/srv/x', target: '/d', readOnly: false });
    expect(localDriverMount(rec({ o: 'bind,ro', device: '/srv/x' }), '/d', false)).toMatchObject({ readOnly: true });
  });
  it('type=tmpfs becomes a tmpfs with the given options', () => {
    expect(localDriverMount(rec({ type: 'tmpfs', device: 'tmpfs', o: 'size=100m,uid=1000' }), '/d', true)).toEqual({ type: 'tmpfs', target: '/d', readOnly: true, options: ['size=100m', 'uid=1000'] });
  });
  it('other types are refused', () => {
    expect(() => localDriverMount(rec({ type: 'nfs', o: 'addr=10.0.0.1', device: ':/export' }), '/d', false)).toThrow(/not supported/);
  });
});

describe('volume CLI formatting', () => {
  it('renders Go-style templates', () => {
    const o = { Name: 'v', Labels: { a: 'b' }, Options: null };
    expect(renderTemplate('{{.Name}}', o)).toBe('v');
    expect(renderTemplate('{{json .Labels}}', o)).toBe('{"a":"b"}');
    expect(renderTemplate('{{index .Labels "a"}}/{{.Missing}}', o)).toBe('b/<no value>');
    expect(renderTemplate('{{.Labels}}', o)).toBe('map[a:b]');
    expect(renderTemplate('{{.Name}}\\t{{.Name}}', o)).toBe('v\tv');
  });
  it('prints sizes like docker/go-units', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1500)).toBe('1.5kB');
    expect(humanSize(12_345_678)).toBe('12.35MB');
  });
});
