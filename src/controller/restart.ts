/**
 * Restart policy and back-off, pure. Mirrors Docker's restart manager: the delay starts at 100 ms and
 * doubles on every restart up to a cap (60 s by default); it goes back to 100 ms once a container stayed up
 * for `resetAfterMs` (10 s). `on-failure:N` counts every restart of the slot (a slot = service + number;
 * tscompose restarts by replacing the container, so the count lives with the slot, not the container).
 * `deploy.restart_policy`: a fixed `delay` replaces the exponential back-off; `max_attempts` counts only
 * restarts inside the last `window` when a window is set (swarm semantics).
 * A manually stopped or killed container is never restarted; the caller decides that before asking here.
 */
import type { RestartPolicy } from '../spec/model.js';

export interface RestartState {
  /** Restarts performed for this slot so far (never reset by a long run, as Docker). */
  attempts: number;
  /** When each restart happened (ms), newest last; kept only as long as a window needs it. */
  history: number[];
  /** The delay used for the last restart; 0 before the first. */
  backoffMs: number;
}

export interface BackoffOptions {
  initialMs: number;
  capMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, capMs: 60_000, resetAfterMs: 10_000 };

export interface ExitFacts {
  exitCode: number;
  oomKilled: boolean;
  /** When the container's PID 1 started (ms since epoch), if known. */
  startedAtMs?: number;
  /** When it exited (ms since epoch). */
  finishedAtMs: number;
}

export type RestartVerdict =
  | { kind: 'never'; reason: string }
  | { kind: 'give-up'; reason: string }
  | { kind: 'restart'; atMs: number; delayMs: number; next: RestartState; cause: string };

export function freshRestartState(): RestartState {
  return { attempts: 0, history: [], backoffMs: 0 };
}

function describeExit(e: ExitFacts): string {
  return e.oomKilled ? `OOM-killed (exit ${e.exitCode})` : `exited with code ${e.exitCode}`;
}

/** Next back-off delay after a run of `ranMs` (undefined = unknown): double, capped; reset after a long run. */
export function nextBackoff(previousMs: number, ranMs: number | undefined, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  if (previousMs <= 0 || (ranMs !== undefined && ranMs >= opts.resetAfterMs)) return opts.initialMs;
  return Math.min(previousMs * 2, opts.capMs);
}

export function decideRestart(
  policy: RestartPolicy,
  exit: ExitFacts,
  state: RestartState | undefined,
  opts: BackoffOptions = DEFAULT_BACKOFF,
): RestartVerdict {
  const st = state ?? freshRestartState();
  const failed = exit.exitCode !== 0 || exit.oomKilled;
  if (policy.condition === 'no') return { kind: 'never', reason: `${describeExit(exit)}; restart policy "no"` };
  if (policy.condition === 'on-failure' && !failed) {
    return { kind: 'never', reason: `${describeExit(exit)}; restart policy "on-failure" restarts only failures` };
  }
  const history = policy.windowMs !== undefined ? st.history.filter((t) => t > exit.finishedAtMs - (policy.windowMs ?? 0)) : st.history;
  const counted = policy.windowMs !== undefined ? history.length : st.attempts;
  if (policy.maxAttempts !== undefined && counted >= policy.maxAttempts) {
    const within = policy.windowMs !== undefined ? ` within ${policy.windowMs} ms` : '';
    return { kind: 'give-up', reason: `${describeExit(exit)}; gave up after ${counted} restart(s)${within} (max ${policy.maxAttempts})` };
  }
  const ranMs = exit.startedAtMs !== undefined ? Math.max(0, exit.finishedAtMs - exit.startedAtMs) : undefined;
  const backoffMs = nextBackoff(st.backoffMs, ranMs, opts);
  const delayMs = policy.delayMs ?? backoffMs;
  const atMs = exit.finishedAtMs + delayMs;
  const next: RestartState = {
    attempts: st.attempts + 1,
    history: policy.windowMs !== undefined ? [...history, atMs] : [],
    backoffMs,
  };
  const limit = policy.maxAttempts !== undefined ? `/${policy.maxAttempts}` : '';
  return {
    kind: 'restart',
    atMs,
    delayMs,
    next,
    cause: `${describeExit(exit)}; restart policy "${policy.condition}", attempt ${next.attempts}${limit} after ${delayMs} ms`,
  };
}
