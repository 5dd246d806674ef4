/**
 * Whether an exited container is "restarting" in Docker's sense: its restart policy will start its slot
 * again (the back-off delay is running). `ps` shows it as `Restarting (1) 2 seconds ago` and lists it
 * without -a, as Docker does. Pure: the caller passes the supervisor's state.
 */
import type { ContainerInfo } from '../runtime/api.js';
import type { ProjectState } from '../state/project-state.js';
import { decideRestart, type BackoffOptions } from '../controller/restart.js';
import { slotKey } from '../controller/plan.js';
import { toObserved } from './labels.js';

export function willRestart(c: ContainerInfo, st: ProjectState, backoff: BackoffOptions): boolean {
  if (c.status !== 'stopped' || st.phase !== 'up' || st.noRestart.includes(c.id)) return false;
  const svc = st.project?.services[c.service];
  if (!svc || st.active[c.service]?.mode !== 'running') return false;
  const o = toObserved(c, new Set());
  if (!o.exit) return false;
  return decideRestart(svc.restart, o.exit, st.restarts[slotKey(o.service, o.number)], backoff).kind === 'restart';
}
