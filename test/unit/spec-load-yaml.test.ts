import { describe, expect, it } from 'vitest';
import { parseYaml, MAX_NODES } from '../../src/spec/yaml.js';
import { makeSourceDoc, Tagged } from '../../src/spec/yaml-located.js';
import { TscError } from '../../src/errors.js';

const F = '/p/compose.yaml';

function errorOf(fn: () => unknown): TscError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TscError) return e;
    throw e;
  }
  throw new Error('expected a TscError');
}

describe('parseYaml positions', () => {
  const text = [
    'x-base: &base', // 1
    '  image: nginx', // 2
    '  ports:', // 3
    '    - "80:80"', // 4
    'services:', // 5
    '  web:', // 6
    '    <<: *base', // 7
    '    command: ["a", "b"]', // 8
    '  db:', // 9
    '    image: postgres   # comment', // 10
    '    environment:', // 11
    '      A: 1', // 12
  ].join('\n');
  const doc = makeSourceDoc(F, parseYaml(text, F));

  it('locates values and keys (1-based line and column)', () => {
    expect(doc.positionOf(['services', 'db', 'image'])).toEqual({ file: F, line: 10, col: 12 });
    expect(doc.keyPositionOf(['services', 'db', 'image'])).toEqual({ file: F, line: 10, col: 5 });
    expect(doc.positionOf(['services', 'db', 'environment', 'A'])).toEqual({ file: F, line: 12, col: 10 });
    expect(doc.positionOf(['services', 'web', 'command', 1])).toEqual({ file: F, line: 8, col: 20 });
    expect(doc.keyPositionOf(['services', 'db'])).toEqual({ file: F, line: 9, col: 3 });
  });

  it('applies merge keys and locates merged values where the anchor wrote them', () => {
    expect(doc.data).toMatchObject({ services: { web: { image: 'nginx', ports: ['80:80'], command: ['a', 'b'] } } });
    expect(Object.keys((doc.data as { services: { web: object } }).services.web)).not.toContain('<<');
    expect(doc.positionOf(['services', 'web', 'image'])).toEqual({ file: F, line: 2, col: 10 });
    expect(doc.positionOf(['services', 'web', 'ports', 0])).toEqual({ file: F, line: 4, col: 7 });
  });

  it('falls back to the nearest existing ancestor for missing paths', () => {
    expect(doc.positionOf(['services', 'db', 'nope', 'deeper'])).toEqual({ file: F, line: 10, col: 5 });
    expect(doc.positionOf([])).toEqual({ file: F, line: 1, col: 1 });
  });

  it('unshares aliases so later stages can change one copy', () => {
    const d = parseYaml('a: &x {k: [1]}\nb: *x\n', F) as { a: { k: number[] }; b: { k: number[] } };
    d.a.k.push(2);
    expect(d.b.k).toEqual([1]);
  });

  it('explicit keys win over merged ones; earlier merge sources win over later', () => {
    const d = parseYaml('a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n  y: 3\n', F);
    expect((d as Record<string, unknown>).c).toEqual({ x: 1, y: 3, z: 2 });
  });
});

describe('parseYaml scalars (YAML 1.2 core, as Compose)', () => {
  it('keeps yes/no/on/off and dates as strings, numbers and booleans typed', () => {
    const d = parseYaml('a: yes\nb: no\nc: 2024-01-02\nd: true\ne: 0x10\nf: 1.5\ng: ~\nh: "007"\n', F);
    expect(d).toEqual({ a: 'yes', b: 'no', c: '2024-01-02', d: true, e: 16, f: 1.5, g: null, h: '007' });
  });

  it('reads !reset and !override as tagged values', () => {
    const d = parseYaml('a: !reset []\nb: !override\n  - x\nc: !reset null\nd: !reset\n', F) as Record<string, unknown>;
    expect(d.a).toEqual(new Tagged('reset', []));
    expect(d.b).toEqual(new Tagged('override', ['x']));
    expect(d.c).toBeInstanceOf(Tagged);
    expect(d.d).toBeInstanceOf(Tagged);
  });

  it('keeps a "__proto__" key as data without touching prototypes', () => {
    const d = parseYaml('__proto__: {polluted: 1}\n', F) as Record<string, unknown>;
    expect(Object.keys(d)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseYaml errors are located TscErrors', () => {
  it('duplicate keys', () => {
    const e = errorOf(() => parseYaml('services:\n  web:\n    image: a\n    image: b\n', F));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.details[0]).toMatch(/^\/p\/compose\.yaml:4:\d+: .*duplicated mapping key/);
  });

  it('syntax errors', () => {
    const e = errorOf(() => parseYaml('services:\n  web:\n    image: "unterminated\n', F));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.details[0]).toMatch(/^\/p\/compose\.yaml:\d+:\d+: \(root\): YAML syntax error/);
    expect(e.stack).toBeDefined();
  });

  it('unknown tags', () => {
    const e = errorOf(() => parseYaml('a: !boom 1\n', F));
    expect(e.details[0]).toMatch(/compose\.yaml:1:\d+: .*unknown tag/);
  });

  it('refuses billion-laughs alias expansion with a located error', () => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]`);
    const e = errorOf(() => parseYaml(lines.join('\n') + '\n', F));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.details[0]).toMatch(new RegExp(`compose\\.yaml:\\d+:\\d+: .*more than ${MAX_NODES} nodes`));
  });

  it('refuses deep nesting combined with aliases', () => {
    const deep = '['.repeat(3000) + '*x' + ']'.repeat(3000);
    const e = errorOf(() => parseYaml(`a: &x [1]\nb: ${deep}\n`, F));
    expect(e.code).toBe('SPEC_INVALID');
  });

  it('refuses absurd nesting with a located error instead of overflowing the stack', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const e = errorOf(() => parseYaml(`a: ${deep}\n`, F));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.details[0]).toMatch(/nested/);
  });
});
