import { describe, expect, it } from 'vitest';
import { isRollingRecreate, rolloutBatches } from '../../src/controller/rolling.js';
import type { Action } from '../../src/controller/plan.js';

const rec = (number: number, cause = 'config hash changed', start = true): Action => ({
  kind: 'recreate', step: 2, service: 'web', number, name: `p-web-${number}`, id: `id${number}`, start, cause,
});

describe('rolling update batches', () => {
  it('splits by parallelism in replica-number order', () => {
    const b = rolloutBatches([rec(3), rec(1), rec(2)] as { number: number }[], 1);
    expect(b.map((x) => x.map((a) => a.number))).toEqual([[1], [2], [3]]);
    expect(rolloutBatches([rec(1), rec(2), rec(3)] as { number: number }[], 2).map((x) => x.map((a) => a.number))).toEqual([[1, 2], [3]]);
  });
  it('parallelism 0 is one batch; no actions is no batch', () => {
    expect(rolloutBatches([rec(1), rec(2)] as { number: number }[], 0)).toHaveLength(1);
    expect(rolloutBatches([], 1)).toEqual([]);
  });
  it('only drift recreates of started replicas of replicated services roll', () => {
    expect(isRollingRecreate(rec(1), 3)).toBe(true);
    expect(isRollingRecreate(rec(1, 'image changed'), 2)).toBe(true);
    expect(isRollingRecreate(rec(1), 1)).toBe(false);
    expect(isRollingRecreate(rec(1, 'exited; started again'), 3)).toBe(false);
    expect(isRollingRecreate(rec(1, 'config hash changed', false), 3)).toBe(false);
    expect(isRollingRecreate({ kind: 'create', step: 2, service: 'web', number: 1, name: 'x', start: true, cause: 'not found' }, 3)).toBe(false);
  });
});
