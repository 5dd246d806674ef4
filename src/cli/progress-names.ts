/**
 * Compose's words for what `start`, `restart` and `up` do to an exited container. tscompose carries these
 * out as a fresh container (README: restarts are fresh containers), which the supervisor reports as
 * Recreate, Recreated, Starting, Started; a user asked to start or restart, so they read `Starting`,
 * `Started` and `Restarting`, `Started`, as Compose prints them. A config-driven recreate keeps its own
 * words (Recreate, Recreated, Starting, Started, as Compose's).
 */
import type { OnProgress, ProgressEvent } from '../api.js';

/** The supervisor's cause for starting an exited container again (src/controller/plan.ts). */
const EXITED_STARTED_AGAIN = 'exited; started again';

export type ProgressVerb = 'up' | 'start' | 'restart';

export function composeWords(verb: ProgressVerb, on: OnProgress): OnProgress {
  const restarted = new Set<string>();
  return (e: ProgressEvent) => {
    if (e.type !== 'resource' || !e.resource.startsWith('Container ')) return on(e);
    const mapped = verb === 'restart' || verb === 'start' || (e.status === 'Recreate' && e.detail === EXITED_STARTED_AGAIN);
    if (e.status === 'Recreate' && mapped) {
      restarted.add(e.resource);
      // the supervisor says "Starting" on its own; a restart says "Restarting" instead
      if (verb === 'restart') on({ type: 'resource', resource: e.resource, status: 'Restarting', done: false });
      return;
    }
    if (restarted.has(e.resource)) {
      if (e.status === 'Recreated' || (e.status === 'Starting' && verb === 'restart')) return;
      if (e.status === 'Started' || e.done) restarted.delete(e.resource);
    }
    on(e);
  };
}

/**
 * Compose's steps of a removal: `Stopping, Stopped, Removing, Removed` for a container and `Removing,
 * Removed` for a network or volume. The supervisor reports the ends (Stopping, Removed); the steps it
 * does not name are filled in, in order, just before Removed.
 */
export function removalSteps(on: OnProgress): OnProgress {
  const last = new Map<string, string>();
  return (e: ProgressEvent) => {
    if (e.type !== 'resource') return on(e);
    const before = last.get(e.resource);
    last.set(e.resource, e.status);
    if (e.status === 'Removed') {
      if (before === 'Stopping') on({ type: 'resource', resource: e.resource, status: 'Stopped', done: false });
      if (before !== 'Removing') on({ type: 'resource', resource: e.resource, status: 'Removing', done: false });
    }
    on(e);
  };
}

/**
 * `up --wait` in Compose's words: each container it waits for is reported `Waiting`, then `Healthy` once
 * running (and healthy where it has a healthcheck; Compose says Healthy for both). The supervisor reports
 * the end of its wait as one `Running`/`Healthy` per container, all in a row after everything else. So a
 * row of such events is held back until something else comes (then it was the pass's: an up-to-date
 * container's Running, a dependency's Healthy, passed on as they were); what is held at the end is the
 * wait's: `done(true)` (the wait succeeded) says Waiting then Healthy for each, `done(false)` passes them on.
 */
export function waitWords(on: OnProgress): { on: OnProgress; done(ok: boolean): void } {
  let held: ProgressEvent[] = [];
  /** Passes on the first `n` held events (all by default). */
  const release = (n = held.length): void => {
    const out = held.slice(0, n);
    held = held.slice(n);
    for (const e of out) on(e);
  };
  return {
    on: (e) => {
      if (e.type !== 'resource' || !e.resource.startsWith('Container ') || !e.done || (e.status !== 'Running' && e.status !== 'Healthy')) {
        release();
        return on(e);
      }
      // one event per container in the wait's row: this container's earlier one, and what came before
      // it, were the pass's
      release(held.findIndex((h) => h.type === 'resource' && h.resource === e.resource) + 1);
      held.push(e);
    },
    done(ok) {
      if (!ok) return release();
      const waited = held.map((e) => (e.type === 'resource' ? e.resource : ''));
      held = [];
      for (const resource of waited) on({ type: 'resource', resource, status: 'Waiting', done: false });
      for (const resource of waited) on({ type: 'resource', resource, status: 'Healthy', done: true });
    },
  };
}
