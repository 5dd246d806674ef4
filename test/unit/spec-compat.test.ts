/**
 * Regression tests from the issue-3 acceptance audit: behaviours a Docker Compose user relies on that the
 * spec layer got wrong once (each `describe` names the Compose rule).
 */
import { describe, expect, it } from 'vitest';
import { parseRawEnv, EnvSyntaxError } from '../../src/spec/env.js';

describe('env_file format: raw (docker run --env-file syntax)', () => {
  it('keeps values exactly as written: quotes, $ and # stay', () => {
    const text = '# comment\n\nA=$PLAIN "q"\nB=x # y\n  C=\'s\'\nD\nE\n';
    expect(parseRawEnv(text, (k) => (k === 'D' ? 'fromos' : undefined))).toEqual({ A: '$PLAIN "q"', B: 'x # y', C: "'s'", D: 'fromos' });
  });

  it('rejects a name with whitespace', () => {
    expect(() => parseRawEnv('OK=1\nBAD NAME=2')).toThrow(EnvSyntaxError);
  });
});
