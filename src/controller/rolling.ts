/**
 * Rolling updates (deploy.update_config), pure part: which recreate actions of a pass form a rolling update
 * and in which batches they run. A replicated service (replicas > 1) whose running replicas are recreated
 * because their config hash or image changed (or --force-recreate) is rolled in batches of `parallelism`
 * (0 = all at once), in replica-number order; the executor waits `delay` between batches and, with
 * `order: start-first`, starts the new replica before retiring the old one.
 */
import type { Action } from './plan.js';

export type RecreateAction = Extract<Action, { kind: 'recreate' }>;

const DRIFT = new Set(['config hash changed', 'image changed', '--force-recreate']);

/** A recreate caused by drift (not by a restart policy) of a started replica of a replicated service. */
export function isRollingRecreate(a: Action, replicas: number): a is RecreateAction {
  return a.kind === 'recreate' && a.start && replicas > 1 && DRIFT.has(a.cause);
}

/** Split one service's rolling recreates into batches of `parallelism` (< 1: one batch), by replica number. */
export function rolloutBatches<T extends { number: number }>(acts: readonly T[], parallelism: number): T[][] {
  const sorted = [...acts].sort((a, b) => a.number - b.number);
  if (sorted.length === 0) return [];
  const size = parallelism >= 1 ? Math.floor(parallelism) : sorted.length;
  const out: T[][] = [];
  for (let i = 0; i < sorted.length; i += size) out.push(sorted.slice(i, i + size));
  return out;
}
