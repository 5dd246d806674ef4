/**
 * `pause` / `unpause` as the supervisor carries them out: the running containers of the services are
 * frozen (or thawed) through the cgroup freezer (src/runtime/freezer.ts), inside the controller's
 * exclusive section so no pass starts or stops one of them meanwhile. Both are idempotent.
 */
import type { OnProgress } from '../api.js';
import { TscError } from '../errors.js';
import { freeze, isFrozen, thaw } from '../runtime/freezer.js';
import { cgroupsPathFor } from '../runtime/oci-config.js';
import { markProbesPaused } from '../health/paused.js';
import type { Controller } from './controller.js';

export async function handlePause(c: Controller, services: string[], pause: boolean, progress: OnProgress): Promise<void> {
  await c.exclusive(async () => {
    const p = c.project;
    for (const s of services) if (p && !p.services[s]) throw new TscError('NOT_FOUND', `no such service: ${s}`);
    const infos = (await c.observe()).filter((i) => i.status === 'running' && (services.length === 0 || services.includes(i.service)));
    await Promise.all(infos.map(async (i) => {
      const cg = cgroupsPathFor(i.project, i.id);
      if (pause) {
        markProbesPaused(i.id, true); // before freezing: no probe starts into the frozen cgroup
        await freeze(cg).catch((e: unknown) => {
          markProbesPaused(i.id, false);
          throw e;
        });
      } else {
        if (!(await isFrozen(cg))) {
          markProbesPaused(i.id, false);
          return;
        }
        await thaw(cg);
        markProbesPaused(i.id, false);
      }
      c.emit(pause ? 'pause' : 'unpause', i);
      progress({ type: 'resource', resource: `Container ${i.name}`, status: pause ? 'Paused' : 'Unpaused', done: true });
    }));
  });
}
