import { describe, expect, it } from 'vitest';
import { configHash, canonicalJson } from '../../src/controller/hash.js';
import { startLevels, stopLevels, withDependencies } from '../../src/controller/order.js';
import { makeService } from '../helpers/service.js';

describe('configHash', () => {
  it('ignores replicas, depends_on, build and profiles', () => {
    const a = makeService('web');
    const b = makeService('web', {
      replicas: 5,
      dependsOn: { db: { condition: 'service_started', required: true, restart: false } },
      build: { context: '/x', dockerfile: 'Dockerfile', args: {}, labels: {} },
      profiles: ['debug'],
      writtenKeys: ['deploy.replicas'],
    });
    expect(configHash(b)).toBe(configHash(a));
  });

  it('changes with the command, the environment or the image', () => {
    const a = makeService('web');
    expect(configHash(makeService('web', { command: ['sleep', '1'] }))).not.toBe(configHash(a));
    expect(configHash(makeService('web', { environment: { A: '1' } }))).not.toBe(configHash(a));
    expect(configHash(makeService('web', { image: 'busybox:1' }))).not.toBe(configHash(a));
  });

  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    const x = makeService('web', { environment: { A: '1', B: '2' } });
    const y = makeService('web', { environment: { B: '2', A: '1' } });
    expect(configHash(x)).toBe(configHash(y));
  });
});

describe('dependency order', () => {
  const dep = { condition: 'service_started' as const, required: true, restart: false };
  const services = {
    web: makeService('web', { dependsOn: { api: dep } }),
    api: makeService('api', { dependsOn: { db: dep, cache: dep } }),
    db: makeService('db'),
    cache: makeService('cache'),
    side: makeService('side', { networkMode: { kind: 'service', service: 'web' } }),
  };

  it('starts dependencies first, in levels', () => {
    expect(startLevels(services)).toEqual([['cache', 'db'], ['api'], ['web'], ['side']]);
  });

  it('stops in reverse', () => {
    expect(stopLevels(services)).toEqual([['side'], ['web'], ['api'], ['cache', 'db']]);
  });

  it('brings selected services up with their dependencies', () => {
    expect(withDependencies(services, ['api'])).toEqual(['api', 'cache', 'db']);
    expect(() => withDependencies(services, ['nope'])).toThrow(/no such service: nope/);
  });

  it('reports a cycle', () => {
    const cyc = { a: makeService('a', { dependsOn: { b: dep } }), b: makeService('b', { dependsOn: { a: dep } }) };
    expect(() => startLevels(cyc)).toThrow(/dependency cycle between services: a, b/);
  });
});
