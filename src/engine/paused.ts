/** `ps` shows a paused container as Docker does: State "paused", Status "Up 3 minutes (Paused)". */
import type { ContainerSummary } from '../api.js';
import { TscError } from '../errors.js';

/** Pure: the row of a paused running container. */
export function asPaused(r: ContainerSummary): ContainerSummary {
  const up = /^Up (.*?)(?: \((?:healthy|unhealthy|health: starting)\))?$/.exec(r.Status);
  return { ...r, State: 'paused', Status: `Up ${up?.[1] ?? ''} (Paused)`.replace('Up  ', 'Up ') };
}

/**
 * Whether the container's cgroup is frozen. The runtime modules load on use: oci-config brings the seccomp
 * profile, which a `ps` answered by the supervisor (it reports `paused` itself) never needs.
 */
async function isPaused(project: string, id: string): Promise<boolean> {
  const [{ cgroupsPathFor }, { isFrozen }] = await Promise.all([import('../runtime/oci-config.js'), import('../runtime/freezer.js')]);
  return isFrozen(cgroupsPathFor(project, id)).catch(() => false);
}

/** Running rows whose cgroup is frozen become paused rows (one freezer read per running container). */
export async function markPaused(rows: ContainerSummary[]): Promise<ContainerSummary[]> {
  return Promise.all(rows.map(async (r) => (r.State === 'running' && (await isPaused(r.Project, r.ID)) ? asPaused(r) : r)));
}

/** As Docker: no exec into a paused container (its processes could not answer). */
export async function refusePaused(c: { id: string; name: string; project: string }): Promise<void> {
  if (await isPaused(c.project, c.id)) throw new TscError('CONFLICT', `container ${c.name} is paused, unpause the container before exec`);
}
