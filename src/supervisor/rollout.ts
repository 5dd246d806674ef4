/**
 * The executor of a rolling update (deploy.update_config) of one replicated service, as Swarm runs one:
 *  - batches of `parallelism` (0 = all at once) in replica-number order, `delay` between batches;
 *  - each replica is replaced stop-first (the ordinary recreate) or start-first (new one in rotation before
 *    the old one leaves it) — the replacement itself is the controller's;
 *  - a replica *fails* when it does not come up, or exits or turns unhealthy within `monitor` of its start;
 *  - failures are checked before every batch and, after the last batch, for the rest of the last batch's
 *    `monitor` window (so a failure in the last batch is reported too — Swarm also "waits to verify that
 *    tasks are stable"; `monitor: 0` skips that wait);
 *  - when failures exceed `max_failure_ratio` of the replicas being updated, `failure_action` applies:
 *    `pause` stops here (the remaining replicas keep the old configuration, the error is reported),
 *    `continue` carries on, `rollback` stops and asks for a rollback: the controller puts the service's
 *    previous configuration back and rolls the updated replicas to it with `rollback_config` (a failing
 *    rollback pauses; it never rolls back again).
 * The previous configuration is known only to the supervisor that received the new one (kept in memory):
 * after a supervisor restart, `rollback` acts as `pause`.
 */
import { TscError } from '../errors.js';
import type { Service, UpdateConfig } from '../spec/model.js';
import { rolloutBatches, type RecreateAction } from '../controller/rolling.js';
import type { OnProgress } from '../api.js';

export interface RolloutHooks {
  /** Replace one replica (stop-first or start-first); resolves true when the new one runs. */
  replace(a: RecreateAction, order: UpdateConfig['order']): Promise<boolean>;
  /** Why a replica started at `at` has failed by now (exited, gone, unhealthy), or undefined. */
  failure(id: string, name: string): Promise<string | undefined>;
  log(msg: string): void;
}

export interface RolloutOutcome {
  /** Set when the rollout stopped early or finished with failures beyond the tolerated ratio. */
  error?: TscError;
  /** failure_action was rollback and the threshold was crossed. */
  rollback: boolean;
}

/** How many failed replicas a rollout of `total` tolerates before failure_action applies. */
export function toleratedFailures(total: number, maxFailureRatio: number): number {
  return Math.floor(Math.max(0, maxFailureRatio) * total + 1e-9);
}

export async function rollout(
  service: string,
  svc: Service,
  list: RecreateAction[],
  ids: { get(a: RecreateAction): string | undefined },
  hooks: RolloutHooks,
  progress: OnProgress | undefined,
  opts: { rollingBack?: boolean; sleep?: (ms: number) => Promise<void> } = {},
): Promise<RolloutOutcome> {
  const uc = opts.rollingBack ? (svc.rollbackConfig ?? svc.updateConfig) : svc.updateConfig;
  const action = opts.rollingBack && uc.failureAction === 'rollback' ? 'pause' : uc.failureAction;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const batches = rolloutBatches(list, uc.parallelism);
  const tolerated = toleratedFailures(list.length, uc.maxFailureRatio);
  const fresh: { id: string; name: string; at: number }[] = [];
  const failed = new Map<string, string>();
  const what = opts.rollingBack ? 'rollback' : 'rolling update';
  hooks.log(`${what} of ${service}: ${batches.length} batch(es) of ${uc.parallelism || list.length}, order ${uc.order}, delay ${uc.delayMs} ms, monitor ${uc.monitorMs} ms, failure_action ${action}, tolerated failures ${tolerated}`);

  const sweep = async (): Promise<void> => {
    const now = Date.now();
    for (const f of fresh) {
      if (failed.has(f.name) || now - f.at > uc.monitorMs) continue;
      const why = await hooks.failure(f.id, f.name);
      if (why) failed.set(f.name, why);
    }
  };
  const over = (): boolean => failed.size > tolerated && action !== 'continue';
  const stop = (done: number): RolloutOutcome => {
    const reasons = [...failed].map(([n, w]) => (w ? `${n}: ${w}` : n)).join('; ');
    const rest = list.length - done;
    const tail = action === 'rollback' ? 'rolling back to the previous configuration' : `${rest} replica(s) keep the old configuration`;
    const error = new TscError('RUNTIME', `${what} of ${service} ${action === 'rollback' ? 'failed' : 'paused'}: ${reasons}; ${tail}`);
    hooks.log(error.message);
    progress?.({ type: 'message', level: 'error', text: error.message });
    return { error, rollback: action === 'rollback' };
  };

  let done = 0;
  for (const [i, batch] of batches.entries()) {
    if (i > 0 && uc.delayMs > 0) await sleep(uc.delayMs);
    await sweep();
    if (over()) return stop(done);
    await Promise.all(
      batch.map(async (a) => {
        const id = ids.get(a);
        const ok = await hooks.replace(a, uc.order);
        if (ok && id) fresh.push({ id, name: a.name, at: Date.now() });
        else failed.set(a.name, 'failed to update');
      }),
    );
    done += batch.length;
  }
  // the last batch's monitor window: a replica that dies right after the update still counts
  const last = fresh.filter((f) => batches.at(-1)?.some((a) => a.name === f.name));
  const until = Math.max(0, ...last.map((f) => f.at + uc.monitorMs));
  if (until > Date.now() && action !== 'continue') {
    progress?.({ type: 'message', level: 'info', text: `${service}: waiting ${Math.ceil((until - Date.now()) / 1000)} s to verify that the updated replicas are stable (update_config.monitor)` });
    while (Date.now() < until) {
      await sweep();
      if (over()) break;
      await sleep(Math.min(200, Math.max(1, until - Date.now())));
    }
  }
  await sweep();
  if (over()) return stop(done);
  if (failed.size > 0) hooks.log(`${what} of ${service}: ${failed.size} failure(s) within the tolerated ${tolerated}`);
  return { rollback: false };
}
