import { describe, expect, it } from 'vitest';
import { wantsEarlySpare } from '../../src/cli/early.js';

describe('wantsEarlySpare (bin/ starts a supervisor before the CLI loads)', () => {
  it('is up, wherever the global options put it', () => {
    expect(wantsEarlySpare(['up', '-d'])).toBe(true);
    expect(wantsEarlySpare(['-p', 'up', '-f', 'x.yaml', 'up'])).toBe(true);
    expect(wantsEarlySpare(['--progress', 'quiet', 'up', 'web', '--', '-h'])).toBe(true);
  });
  it('is not other verbs, help or version', () => {
    expect(wantsEarlySpare(['ps'])).toBe(false);
    expect(wantsEarlySpare(['-p', 'up', 'down'])).toBe(false);
    expect(wantsEarlySpare(['up', '--help'])).toBe(false);
    expect(wantsEarlySpare(['up', '-h'])).toBe(false);
    expect(wantsEarlySpare(['--version'])).toBe(false);
    expect(wantsEarlySpare([])).toBe(false);
  });
});
