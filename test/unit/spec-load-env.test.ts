import { describe, expect, it } from 'vitest';
import { parseEnv, EnvSyntaxError } from '../../src/spec/env.js';
import { readEnvFiles } from '../../src/spec/load-env.js';

describe('.env syntax', () => {
  it('reads Compose .env files', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=yes',
      '  SPACED  =  padded value  ',
      'EMPTY=',
      "SINGLE='literal ${PLAIN} \\n'",
      'DOUBLE="line1\\nline2 \\"q\\" ${PLAIN} \\$PLAIN"',
      'INLINE=abc # trailing comment',
      'HASH=abc#def',
      'REF=${PLAIN}-${UNSET:-dflt}',
      'OUTER=$FROM_OS',
      'MULTI="first',
      'second"',
      'QUOTED_COMMENT="x" # note',
      'DOTS.AND-DASHES=ok',
    ].join('\n');
    const out = parseEnv(text, (k) => (k === 'FROM_OS' ? 'os' : undefined));
    expect(out).toEqual({
      PLAIN: 'value',
      EXPORTED: 'yes',
      SPACED: 'padded value',
      EMPTY: '',
      SINGLE: 'literal ${PLAIN} \\n',
      DOUBLE: 'line1\nline2 "q" value $PLAIN',
      INLINE: 'abc',
      HASH: 'abc#def',
      REF: 'value-dflt',
      OUTER: 'os',
      MULTI: 'first\nsecond',
      QUOTED_COMMENT: 'x',
      'DOTS.AND-DASHES': 'ok',
    });
  });

  it('a bare key takes the outer value, or is left out', () => {
    expect(parseEnv('A\nB\n', (k) => (k === 'A' ? '1' : undefined))).toEqual({ A: '1' });
  });

  it('handles CRLF line ends and a BOM', () => {
    expect(parseEnv('\uFEFFA=1\r\nB="2"\r\n')).toEqual({ A: '1', B: '2' });
  });

  it.each([
    ['1BAD=x', 1],
    ['OK=1\nA="unterminated\nB=2', 2],
    ['A="x" trailing', 1],
    ['A=${', 1],
  ])('rejects %j at line %i', (text, line) => {
    try {
      parseEnv(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EnvSyntaxError);
      expect((e as EnvSyntaxError).line).toBe(line);
    }
  });
});

describe('readEnvFiles', () => {
  it('later files win, the OS environment wins over all files', () => {
    const files: Record<string, string> = { '/a': 'A=1\nB=1\nC=1', '/b': 'B=2\nC=2\nD=${A}' };
    const vars = readEnvFiles(['/a', '/b'], { C: 'os' }, (f) => files[f] as string);
    expect(vars).toMatchObject({ A: '1', B: '2', C: 'os', D: '1' });
  });

  it('syntax errors name file and line', () => {
    expect(() => readEnvFiles(['/x'], {}, () => 'GOOD=1\n=bad\n')).toThrow(expect.objectContaining({ code: 'SPEC_INVALID', details: [expect.stringMatching(/^\/x:2:1: /)] }));
  });
});
