/**
 * The pure heart of the controller: `plan(input)` compares the whole desired state with one snapshot of
 * what exists and returns the actions that close the difference, each with its cause. No I/O, no clock
 * (the caller passes `nowMs`), deterministic output: `formatPlan` is what the golden tests compare.
 *
 * Actions carry a `step`: removals first (orphans, scale-down, duplicates) in stop order, then one step per
 * start level (dependencies first). Actions of one step are independent and may run in parallel.
 */
import type { RestartPolicy } from '../spec/model.js';
import { decideRestart, DEFAULT_BACKOFF, type BackoffOptions, type ExitFacts, type RestartState } from './restart.js';
import { byteOrder } from '../order.js';

export interface DesiredService {
  name: string;
  /** configHash of the service. */
  hash: string;
  /** Image id the containers should run; undefined = not resolved yet (no image drift check). */
  imageId?: string;
  replicas: number;
  restart: RestartPolicy;
  /** `created`: containers exist but are not started (`up --no-start`). */
  mode: 'running' | 'created';
  /** `container_name:` (one replica only). */
  containerName?: string;
  /** One-shot flags for the pass a verb asked for. */
  forceRecreate?: boolean;
  /** The forced recreate is the `restart` verb's: cause 'restart' (all at once, not a rolling update). */
  restartVerb?: boolean;
  noRecreate?: boolean;
  /** Start containers that exited (and are not held by a manual stop): what `up` and `start` do. */
  startExited?: boolean;
}

export interface Desired {
  project: string;
  /** Active services (brought up by `up`), by name. */
  services: Record<string, DesiredService>;
  /** Every service name in the project file: containers of other services are orphans. */
  known: string[];
  /** Start levels (see order.ts) of the services in `known`. */
  levels: string[][];
  removeOrphans: boolean;
}

export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  hash: string;
  imageId?: string;
  status: 'created' | 'running' | 'stopped';
  startedAtMs?: number;
  createdAtMs?: number;
  exit?: ExitFacts;
  /** Stopped or killed by a verb: never restarted by policy. */
  noRestart: boolean;
}

export type Action =
  | { kind: 'create'; step: number; service: string; number: number; name: string; start: boolean; cause: string }
  | { kind: 'start'; step: number; service: string; number: number; name: string; id: string; cause: string }
  | { kind: 'recreate'; step: number; service: string; number: number; name: string; id: string; start: boolean; cause: string }
  | { kind: 'remove'; step: number; service: string; number: number; name: string; id: string; running: boolean; cause: string };

export interface PlanInput {
  desired: Desired;
  observed: ObservedContainer[];
  /** Restart bookkeeping per slot ("service/number"). */
  restarts: Record<string, RestartState>;
  /** Slots whose last action failed: nothing is tried for them before this time (ms). */
  holds: Record<string, number>;
  nowMs: number;
  backoff?: BackoffOptions;
}

export interface Plan {
  actions: Action[];
  /** Earliest time a pending restart or hold becomes due; the loop sets a timer for it. */
  wakeAtMs?: number;
  /** Names of containers of services not in the file. */
  orphans: string[];
  /** Restart states to store once the matching recreate action ran. */
  restartUpdates: Record<string, RestartState>;
  /** Decisions that changed nothing but are worth telling (policy "no", gave up, --no-recreate...). */
  notes: string[];
}

export const slotKey = (service: string, n: number): string => `${service}/${n}`;

export function containerName(project: string, svc: Pick<DesiredService, 'name' | 'containerName'>, n: number): string {
  return svc.containerName ?? `${project}-${svc.name}-${n}`;
}

const rank = (c: ObservedContainer): number => (c.status === 'running' ? 2 : c.status === 'created' ? 1 : 0);

/** Best container of a slot first: running, then created, then stopped; newer before older; then by id. */
function byPreference(a: ObservedContainer, b: ObservedContainer): number {
  return rank(b) - rank(a) || (b.createdAtMs ?? 0) - (a.createdAtMs ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function plan(input: PlanInput): Plan {
  const { desired, observed, nowMs } = input;
  const backoff = input.backoff ?? DEFAULT_BACKOFF;
  const actions: Action[] = [];
  const notes: string[] = [];
  const orphans: string[] = [];
  const restartUpdates: Record<string, RestartState> = {};
  let wakeAtMs: number | undefined;
  const wake = (t: number): void => {
    wakeAtMs = wakeAtMs === undefined ? t : Math.min(wakeAtMs, t);
  };
  const known = new Set(desired.known);
  const removal = (c: ObservedContainer, step: number, cause: string): Action => ({
    kind: 'remove', step, service: c.service, number: c.number, name: c.name, id: c.id, running: c.status === 'running', cause,
  });

  // Step 0: orphans.
  const sorted = [...observed].sort((a, b) => byteOrder(a.service, b.service) || a.number - b.number || byPreference(a, b));
  for (const c of sorted) {
    if (known.has(c.service)) continue;
    orphans.push(c.name);
    if (desired.removeOrphans) actions.push(removal(c, 0, `orphan: service "${c.service}" is not in the project`));
  }

  // Step 1: surplus containers of active services, in stop order (dependents first).
  const levels = desired.levels;
  const active = (s: string): DesiredService | undefined => desired.services[s];
  const keep = new Map<string, ObservedContainer>();
  for (const level of [...levels].reverse()) {
    for (const s of level) {
      const svc = active(s);
      if (!svc) continue;
      const mine = sorted.filter((c) => c.service === s);
      const numbers = [...new Set(mine.map((c) => c.number))].sort((a, b) => b - a);
      for (const n of numbers) {
        const slot = mine.filter((c) => c.number === n).sort(byPreference);
        if (n > svc.replicas || n < 1) {
          for (const c of slot) actions.push(removal(c, 1, `scale down to ${svc.replicas}`));
          continue;
        }
        const [best, ...extra] = slot;
        if (best) keep.set(slotKey(s, n), best);
        for (const c of extra) actions.push(removal(c, 1, `duplicate of ${c.service} #${n}`));
      }
    }
  }

  // Steps 2..: create, start, recreate per level in start order.
  levels.forEach((level, li) => {
    const step = 2 + li;
    for (const s of level) {
      const svc = active(s);
      if (!svc) continue;
      for (let n = 1; n <= svc.replicas; n++) {
        const key = slotKey(s, n);
        const name = containerName(desired.project, svc, n);
        const start = svc.mode === 'running';
        const c = keep.get(key);
        const hold = input.holds[key];
        if (hold !== undefined && hold > nowMs) {
          wake(hold);
          notes.push(`${name}: waiting ${hold - nowMs} ms after a failed attempt`);
          continue;
        }
        if (!c) {
          actions.push({ kind: 'create', step, service: s, number: n, name, start, cause: 'not found' });
          continue;
        }
        const drift = svc.forceRecreate
          ? svc.restartVerb ? 'restart' : '--force-recreate'
          : c.hash !== svc.hash
            ? 'config hash changed'
            : svc.imageId !== undefined && c.imageId !== undefined && c.imageId !== svc.imageId
              ? 'image changed'
              : undefined;
        if (drift !== undefined && svc.noRecreate && !svc.forceRecreate) {
          notes.push(`${name}: ${drift}, kept (--no-recreate)`);
        } else if (drift !== undefined) {
          actions.push({ kind: 'recreate', step, service: s, number: n, name, id: c.id, start, cause: drift });
          continue;
        }
        if (c.status === 'running' || !start) continue;
        if (c.status === 'created') {
          actions.push({ kind: 'start', step, service: s, number: n, name, id: c.id, cause: 'created, not started' });
          continue;
        }
        // stopped
        if (svc.startExited) {
          actions.push({ kind: 'recreate', step, service: s, number: n, name, id: c.id, start, cause: 'exited; started again' });
          continue;
        }
        if (c.noRestart) continue;
        const exit = c.exit ?? { exitCode: 0, oomKilled: false, finishedAtMs: nowMs };
        const v = decideRestart(svc.restart, exit, input.restarts[key], backoff);
        if (v.kind !== 'restart') {
          notes.push(`${name}: ${v.reason}`);
        } else if (v.atMs > nowMs) {
          wake(v.atMs);
        } else {
          actions.push({ kind: 'recreate', step, service: s, number: n, name, id: c.id, start, cause: v.cause });
          restartUpdates[key] = v.next;
        }
      }
    }
  });
  return { actions, ...(wakeAtMs !== undefined ? { wakeAtMs } : {}), orphans, restartUpdates, notes };
}

function describe(a: Action): string {
  return `${a.step} ${a.kind}${a.kind === 'create' || a.kind === 'recreate' ? (a.start ? '+start' : '') : ''} ${a.name}: ${a.cause}`;
}

/** Deterministic text of a plan; times relative to `nowMs`. */
export function formatPlan(p: Plan, nowMs: number): string {
  const lines = p.actions.map(describe);
  if (p.orphans.length) lines.push(`orphans: ${p.orphans.join(', ')}`);
  for (const n of p.notes) lines.push(`note ${n}`);
  if (p.wakeAtMs !== undefined) lines.push(`wake in ${p.wakeAtMs - nowMs} ms`);
  return lines.length ? `${lines.join('\n')}\n` : 'nothing to do\n';
}

export function isEmptyPlan(p: Plan): boolean {
  return p.actions.length === 0;
}
