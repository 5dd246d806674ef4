import { describe, expect, it } from 'vitest';
import { wantsEarlySpare } from '../../src/cli/early.js';
import { asksVersionOnly } from '../../src/cli/verb-of.js';

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

describe('asksVersionOnly (bin/ answers --version itself)', () => {
  it('is --version or -v among global options, before any verb', () => {
    expect(asksVersionOnly(['--version'])).toBe(true);
    expect(asksVersionOnly(['-p', 'proj', '--progress', 'quiet', '-v'])).toBe(true);
    expect(asksVersionOnly(['-f', '-v', '--version'])).toBe(true);
  });
  it('is not a verb\'s own -v, nor a value', () => {
    expect(asksVersionOnly(['down', '-v'])).toBe(false);
    expect(asksVersionOnly(['-f', '-v'])).toBe(false);
    expect(asksVersionOnly(['-v', 'ps'])).toBe(false);
    expect(asksVersionOnly(['-h', '-v'])).toBe(false);
    expect(asksVersionOnly([])).toBe(false);
  });
});
