import { describe, expect, it } from 'vitest';
import { interpolate, InterpolationError } from '../../src/spec/interpolate.js';
import { interpolateDoc } from '../../src/spec/interpolate-doc.js';
import { parseYaml } from '../../src/spec/yaml.js';
import { makeSourceDoc } from '../../src/spec/yaml-located.js';
import type { SpecProblem } from '../../src/spec/source.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '8080', N: '3', RO: 'true', B: 'bee' };
const lookup = (k: string): string | undefined => env[k];
const I = (s: string): string => interpolate(s, lookup);

describe('interpolate', () => {
  it.each([
    ['$SET', 'value'],
    ['${SET}', 'value'],
    ['pre-${SET}-post', 'pre-value-post'],
    ['$SET/x', 'value/x'],
    ['${UNSET}', ''],
    ['$UNSET', ''],
    ['${UNSET:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${UNSET-dflt}', 'dflt'],
    ['${SET:-dflt}', 'value'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${B:-x}}', 'bee'],
    ['${UNSET:-${ALSO_UNSET:-x}}', 'x'],
    ['${UNSET:-a ${B} c}', 'a bee c'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['echo $1 and $ and 100$', 'echo $1 and $ and 100$'],
    ['${SET:?must}', 'value'],
    ['${EMPTY?must}', ''],
    ['${UNSET:-}', ''],
  ])('%s -> %s', (input, out) => {
    expect(I(input)).toBe(out);
  });

  it('required variables fail with the message', () => {
    expect(() => I('${UNSET:?set it please}')).toThrow('required variable UNSET is missing a value: set it please');
    expect(() => I('${EMPTY:?}')).toThrow(/required variable EMPTY is missing a value$/);
    expect(() => I('${UNSET?err}')).toThrow(InterpolationError);
    try {
      I('${UNSET?x}');
    } catch (e) {
      expect((e as InterpolationError).kind).toBe('missing');
    }
  });

  it('refuses absurdly nested defaults instead of overflowing the stack', () => {
    const deep = '${A:-'.repeat(20000) + 'x' + '}'.repeat(20000);
    expect(() => I(deep)).toThrow(InterpolationError);
    expect(I('${A:-'.repeat(10) + 'x' + '}'.repeat(10))).toBe('x');
  });

  it.each(['${}', '${1A}', '${SET', '${SET:x}', '${SE T}'])('malformed %s is a syntax error', (bad) => {
    expect(() => I(bad)).toThrow(InterpolationError);
    try {
      I(bad);
    } catch (e) {
      expect((e as InterpolationError).kind).toBe('syntax');
    }
  });
});

describe('interpolateDoc', () => {
  const F = '/p/compose.yaml';
  const text = [
    'services:',
    '  web:',
    '    image: "nginx:${TAG:-latest}"',
    '    ports: ["${PORT}:80"]',
    '    read_only: ${RO}',
    '    deploy: {replicas: "${N}"}',
    '    environment:',
    '      $SET: "$$HOME"',
    '    x-note: ${B}',
    '    command: ${MISSING:?give a command}',
    '    working_dir: ${BAD',
  ].join('\n');

  it('interpolates values (not keys), casts typed fields, and locates every error', () => {
    const doc = makeSourceDoc(F, parseYaml(text, F));
    const problems: SpecProblem[] = [];
    interpolateDoc(doc, lookup, problems);
    const web = (doc.data as { services: { web: Record<string, unknown> } }).services.web;
    expect(web.image).toBe('nginx:latest');
    expect(web.ports).toEqual(['8080:80']);
    expect(web.read_only).toBe(true);
    expect(web.deploy).toEqual({ replicas: 3 });
    expect(web.environment).toEqual({ $SET: '$HOME' });
    expect(web['x-note']).toBe('bee');
    expect(problems.map((p) => [p.path.join('.'), p.position.line, p.position.col])).toEqual([
      ['services.web.command', 10, 14],
      ['services.web.working_dir', 11, 18],
    ]);
    expect(problems[0]?.message).toBe('required variable MISSING is missing a value: give a command');
  });

  it('warns once per unset variable used without a default, at its first use', () => {
    const doc = makeSourceDoc(F, parseYaml('services:\n  a:\n    image: "x:$NOPE"\n    command: "${NOPE} ${ALSO:-d} ${GONE}"\n', F));
    const problems: SpecProblem[] = [];
    interpolateDoc(doc, lookup, problems);
    expect(problems.map((p) => [p.severity, p.path.join('.'), p.position.line, p.message])).toEqual([
      ['warning', 'services.a.image', 3, 'the "NOPE" variable is not set. Defaulting to a blank string.'],
      ['warning', 'services.a.command', 4, 'the "GONE" variable is not set. Defaulting to a blank string.'],
    ]);
  });

  it('leaves a non-numeric value at a numeric path as a string for the schema to report', () => {
    const doc = makeSourceDoc(F, parseYaml('services:\n  a:\n    scale: ${B}\n', F));
    interpolateDoc(doc, lookup, []);
    expect(doc.data).toEqual({ services: { a: { scale: 'bee' } } });
  });
});
