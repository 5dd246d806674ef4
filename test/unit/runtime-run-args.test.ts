import { describe, expect, it } from 'vitest';
import { applyEnv, parseRunArgs } from '../../src/cli/verbs/run-args.js';
import { oneOffService } from '../../src/cli/verbs/run-exec.js';
import { makeService } from '../helpers/runtime-fixtures.js';

describe('tscompose run arguments', () => {
  it('options end at the service; the command keeps its own flags', () => {
    const a = parseRunArgs(['--rm', '-e', 'A=1', '--env=B=2', '-eC=3', '-w', '/tmp', '-u', 'www', '--name', 'x', '--no-deps', 'web', 'ls', '-la', '-e', 'z']);
    expect(a).toMatchObject({ service: 'web', command: ['ls', '-la', '-e', 'z'], rm: true, noDeps: true, env: ['A=1', 'B=2', 'C=3'], workdir: '/tmp', user: 'www', name: 'x', detach: false });
  });
  it('-d, --entrypoint, -T, and no command', () => {
    expect(parseRunArgs(['-d', '--entrypoint', 'sh -c', '-T', 'web'])).toMatchObject({ service: 'web', command: [], detach: true, entrypoint: 'sh -c', noTty: true });
  });
  it('usage errors', () => {
    expect(() => parseRunArgs([])).toThrow(/requires a SERVICE/);
    expect(() => parseRunArgs(['--bogus', 'web'])).toThrow(/unknown option --bogus/);
    expect(() => parseRunArgs(['-e'])).toThrow(/needs a value/);
  });
  it('-e KEY takes the caller value or is dropped', () => {
    expect(applyEnv({ A: 'a', B: 'b' }, ['A=x', 'HOME', 'NOPE'], { HOME: '/root' })).toEqual({ A: 'x', B: 'b', HOME: '/root' });
  });
  it('one-off overrides: entrypoint split like a shell, no ports, no restart', () => {
    const svc = oneOffService(
      makeService({ ports: [{ target: 80, protocol: 'tcp', mode: 'ingress' }], restart: { condition: 'always' } }),
      parseRunArgs(['--entrypoint', "sh -c 'echo hi'", '-w', '/srv', '-u', '33', 'web']),
      {},
    );
    expect(svc.entrypoint).toEqual(['sh', '-c', 'echo hi']);
    expect(svc.ports).toEqual([]);
    expect(svc.restart).toEqual({ condition: 'no' });
    expect(svc.workingDir).toBe('/srv');
    expect(svc.user).toBe('33');
  });
  it('takes combined short flags as docker does (-it, -dT), and refuses unknown ones', () => {
    expect(parseRunArgs(['--rm', '-it', 'web', 'sh'])).toMatchObject({ rm: true, tty: true, service: 'web', command: ['sh'] });
    expect(parseRunArgs(['-dT', 'web'])).toMatchObject({ detach: true, noTty: true, service: 'web' });
    expect(() => parseRunArgs(['-iz', 'web'])).toThrow(/unknown option -iz/);
  });
});
