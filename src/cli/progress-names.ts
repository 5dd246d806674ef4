/**
 * Compose's words for what `start`, `restart` and `up` do to an exited container. tscompose carries these
 * out as a fresh container (README: restarts are fresh containers), which the supervisor reports as
 * Recreate/Recreated; a user asked to start or restart, so they read `Starting`/`Started` and
 * `Restarting`/`Started`, as Compose prints them. A config-driven recreate keeps its own words.
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
      // the supervisor says "Starting" next on its own; a restart says "Restarting" instead
      if (verb === 'restart') on({ type: 'resource', resource: e.resource, status: 'Restarting', done: false });
      return;
    }
    if (restarted.has(e.resource) && e.status === 'Starting' && verb === 'restart') return;
    if (restarted.has(e.resource) && e.status === 'Recreated') {
      restarted.delete(e.resource);
      return on({ ...e, status: 'Started' });
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
