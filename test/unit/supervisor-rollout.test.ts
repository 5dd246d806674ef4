import { describe, expect, it } from 'vitest';
import { rollout, toleratedFailures, type RolloutHooks } from '../../src/supervisor/rollout.js';
import type { RecreateAction } from '../../src/controller/rolling.js';
import type { Service, UpdateConfig } from '../../src/spec/model.js';

const uc = (o: Partial<UpdateConfig> = {}): UpdateConfig => ({ parallelism: 1, delayMs: 0, order: 'stop-first', failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0, ...o });
const svc = (u: UpdateConfig, rb?: UpdateConfig): Service => ({ name: 'web', updateConfig: u, ...(rb ? { rollbackConfig: rb } : {}) }) as unknown as Service;
const acts = (n: number): RecreateAction[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'recreate', step: 2, service: 'web', number: i + 1, name: `p-web-${i + 1}`, id: `old${i + 1}`, start: true, cause: 'config hash changed' }));
const idsOf = (l: RecreateAction[]): Map<RecreateAction, string> => new Map(l.map((a) => [a, `new${a.number}`]));

/** Hooks where replica numbers in `failUpdate` fail to come up and those in `dieAfter` die right after starting. */
function hooks(failUpdate: number[] = [], dieAfter: number[] = []): RolloutHooks & { replaced: string[] } {
  const replaced: string[] = [];
  return {
    replaced,
    replace: async (a) => {
      replaced.push(a.name);
      return !failUpdate.includes(a.number);
    },
    failure: async (id) => (dieAfter.some((n) => id === `new${n}`) ? 'exited (exit 1)' : undefined),
    log: () => undefined,
  };
}

describe('rolling update executor', () => {
  it('replaces every replica in batches when nothing fails', async () => {
    const l = acts(5);
    const h = hooks();
    const out = await rollout('web', svc(uc({ parallelism: 2 })), l, idsOf(l), h, undefined);
    expect(out).toEqual({ rollback: false });
    expect(h.replaced).toEqual(['p-web-1', 'p-web-2', 'p-web-3', 'p-web-4', 'p-web-5']);
  });

  it('pause: a replica that dies within monitor stops the rollout before the next batch', async () => {
    const l = acts(3);
    const h = hooks([], [1]);
    const out = await rollout('web', svc(uc({ monitorMs: 60_000 })), l, idsOf(l), h, undefined);
    expect(h.replaced).toEqual(['p-web-1']);
    expect(out.rollback).toBe(false);
    expect(out.error?.message).toMatch(/rolling update of web paused: p-web-1: exited \(exit 1\); 2 replica\(s\) keep the old configuration/);
  });

  it('a replica that fails to update stops the rollout, also in the last batch', async () => {
    const l = acts(2);
    const h = hooks([2]);
    const out = await rollout('web', svc(uc()), l, idsOf(l), h, undefined);
    expect(h.replaced).toEqual(['p-web-1', 'p-web-2']);
    expect(out.error?.message).toMatch(/p-web-2: failed to update/);
  });

  it('a failure in the last batch within its monitor window is reported', async () => {
    const l = acts(2);
    const h = hooks([], [2]);
    const out = await rollout('web', svc(uc({ monitorMs: 300 })), l, idsOf(l), h, undefined);
    expect(out.error?.message).toMatch(/p-web-2: exited/);
  });

  it('max_failure_ratio tolerates that share of failed replicas', async () => {
    expect(toleratedFailures(4, 0.5)).toBe(2);
    expect(toleratedFailures(3, 0.3)).toBe(0);
    expect(toleratedFailures(10, 0.3)).toBe(3);
    const l = acts(4);
    const tolerant = await rollout('web', svc(uc({ maxFailureRatio: 0.5, monitorMs: 60_000 })), l, idsOf(l), hooks([], [1, 2]), undefined);
    expect(tolerant).toEqual({ rollback: false });
    const strict = await rollout('web', svc(uc({ maxFailureRatio: 0.25, monitorMs: 60_000 })), l, idsOf(l), hooks([], [1, 2]), undefined);
    expect(strict.error).toBeDefined();
  });

  it('continue carries on whatever fails', async () => {
    const l = acts(3);
    const h = hooks([1], [2]);
    const out = await rollout('web', svc(uc({ failureAction: 'continue', monitorMs: 60_000 })), l, idsOf(l), h, undefined);
    expect(h.replaced).toHaveLength(3);
    expect(out).toEqual({ rollback: false });
  });

  it('rollback asks for a rollback; a failing rollback pauses instead of rolling back again', async () => {
    const l = acts(3);
    const out = await rollout('web', svc(uc({ failureAction: 'rollback', monitorMs: 60_000 })), l, idsOf(l), hooks([], [1]), undefined);
    expect(out.rollback).toBe(true);
    expect(out.error?.message).toMatch(/rolling update of web failed: .*rolling back to the previous configuration/);
    const back = await rollout('web', svc(uc({ failureAction: 'rollback', monitorMs: 60_000 })), l, idsOf(l), hooks([], [1]), undefined, { rollingBack: true });
    expect(back.rollback).toBe(false);
    expect(back.error?.message).toMatch(/rollback of web paused/);
  });

  it('a rollback uses rollback_config when the service has one', async () => {
    const l = acts(4);
    const orders: string[] = [];
    const h = hooks();
    const out = await rollout('web', svc(uc(), uc({ order: 'start-first', parallelism: 4 })), l, idsOf(l), { ...h, replace: async (a, order) => (orders.push(order), h.replace(a, order)) }, undefined, { rollingBack: true });
    expect(out).toEqual({ rollback: false });
    expect(new Set(orders)).toEqual(new Set(['start-first']));
  });
});
