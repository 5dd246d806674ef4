/** `ps` shows a paused container as Docker does: State "paused", Status "Up 3 minutes (Paused)". */
import type { ContainerSummary } from '../api.js';
import { TscError } from '../errors.js';
import { cgroupsPathFor } from '../runtime/oci-config.js';
import { isFrozen } from '../runtime/freezer.js';

/** Pure: the row of a paused running container. */
export function asPaused(r: ContainerSummary): ContainerSummary {
  const up = /^Up (.*?)(?: \((?:healthy|unhealthy|health: starting)\))?$/.exec(r.Status);
  return { ...r, State: 'paused', Status: `Up ${up?.[1] ?? ''} (Paused)`.replace('Up  ', 'Up ') };
}

/** Running rows whose cgroup is frozen become paused rows (one freezer read per running container). */
export async function markPaused(rows: ContainerSummary[]): Promise<ContainerSummary[]> {
  return Promise.all(rows.map(async (r) => (r.State === 'running' && (await isFrozen(cgroupsPathFor(r.Project, r.ID)).catch(() => false)) ? asPaused(r) : r)));
}

/** As Docker: no exec into a paused container (its processes could not answer). */
export async function refusePaused(c: { id: string; name: string; project: string }): Promise<void> {
  if (await isFrozen(cgroupsPathFor(c.project, c.id)).catch(() => false)) throw new TscError('CONFLICT', `container ${c.name} is paused, unpause the container before exec`);
}
