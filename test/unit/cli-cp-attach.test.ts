/** Pure parts of `cp` (argument split, path intent) and of foreground `up`'s attach choice. */
import { describe, expect, it } from 'vitest';
import { parseCopyArgs, pathIntent, splitCopyArg } from '../../src/engine/copy-args.js';
import { attachedServices } from '../../src/cli/verbs/up-attach.js';

describe('cp arguments', () => {
  it('splits SERVICE:PATH as docker cp does', () => {
    expect(splitCopyArg('web:/etc/hosts')).toEqual({ service: 'web', path: '/etc/hosts' });
    expect(splitCopyArg('/a:b')).toEqual({ path: '/a:b' });
    expect(splitCopyArg('./a:b')).toEqual({ path: './a:b' });
    expect(splitCopyArg('file.txt')).toEqual({ path: 'file.txt' });
  });

  it('needs exactly one container end', () => {
    expect(parseCopyArgs('web:/x', 'out').direction).toBe('from-container');
    expect(parseCopyArgs('in', 'web:/x').direction).toBe('to-container');
    expect(() => parseCopyArgs('a', 'b')).toThrow(/direction/);
    expect(() => parseCopyArgs('web:/a', 'db:/b')).toThrow(/between services/);
    expect(() => parseCopyArgs(':/a', 'b')).toThrow(/invalid service/);
  });

  it('reads "dir/." and "dir/" as docker cp does', () => {
    expect(pathIntent('/srv/tree/.')).toEqual({ contentsOnly: true, mustBeDir: true, base: 'tree' });
    expect(pathIntent('/srv/tree/')).toEqual({ contentsOnly: false, mustBeDir: true, base: 'tree' });
    expect(pathIntent('a.txt')).toEqual({ contentsOnly: false, mustBeDir: false, base: 'a.txt' });
  });
});

describe('up attach', () => {
  const all = ['app', 'db', 'side'];
  const deps = (s: readonly string[]): string[] => [...new Set([...s, ...(s.includes('app') ? ['db'] : [])])].sort();
  it('defaults to the named services, or all', () => {
    expect(attachedServices(all, [], {}, deps)).toEqual(all);
    expect(attachedServices(all, ['app'], {}, deps)).toEqual(['app']);
    expect(attachedServices(all, ['app'], { attachDependencies: true }, deps)).toEqual(['app', 'db']);
  });
  it('--attach names them, --no-attach removes', () => {
    expect(attachedServices(all, [], { attach: ['db'] }, deps)).toEqual(['db']);
    expect(attachedServices(all, [], { noAttach: ['side'] }, deps)).toEqual(['app', 'db']);
    expect(attachedServices(all, [], { attach: ['db'], noAttach: ['db'] }, deps)).toEqual([]);
    expect(() => attachedServices(all, [], { attach: ['x'] }, deps)).toThrow(/no such service: x/);
  });
});
