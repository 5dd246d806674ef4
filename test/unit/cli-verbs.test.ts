import { describe, expect, it } from 'vitest';
import { verbOf } from '../../src/cli/verbs/index.js';

describe('verbOf (which verb module a command line needs)', () => {
  it('skips root options and their values', () => {
    expect(verbOf(['-f', 'a.yaml', '-p', 'proj', '--profile', 'x', 'up', '-d'])).toBe('up');
    expect(verbOf(['--project-directory', '/x', '--env-file', '.env.dev', 'config', '-q'])).toBe('config');
    expect(verbOf(['ps'])).toBe('ps');
  });

  it('is undefined when no verb is named', () => {
    expect(verbOf(['--version'])).toBeUndefined();
    expect(verbOf(['-f', 'compose.yaml'])).toBeUndefined();
    expect(verbOf([])).toBeUndefined();
  });
});
