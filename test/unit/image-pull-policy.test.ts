import { describe, expect, it } from 'vitest';
import { refreshDue, refreshIntervalMs } from '../../src/image/pull-policy.js';

const H = 3600_000;

describe('refresh pull policies (daily, weekly, every_<duration>)', () => {
  it('maps policies to intervals', () => {
    expect(refreshIntervalMs('daily')).toBe(24 * H);
    expect(refreshIntervalMs('weekly')).toBe(7 * 24 * H);
    expect(refreshIntervalMs('every_12h')).toBe(12 * H);
    expect(refreshIntervalMs('every_1h30m')).toBe(1.5 * H);
    expect(refreshIntervalMs('every_2d')).toBe(48 * H);
    expect(refreshIntervalMs('every_1w')).toBe(7 * 24 * H);
    for (const p of ['always', 'missing', 'never', 'build']) expect(refreshIntervalMs(p)).toBeUndefined();
  });

  it('refuses a bad duration', () => {
    for (const p of ['every_', 'every_10', 'every_soon', 'every_0s']) expect(() => refreshIntervalMs(p)).toThrow(/invalid pull_policy/);
  });

  it('is due when never tagged or older than the interval', () => {
    expect(refreshDue(undefined, H, 10 * H)).toBe(true);
    expect(refreshDue(9.5 * H, H, 10 * H)).toBe(false);
    expect(refreshDue(8 * H, H, 10 * H)).toBe(true);
  });
});
