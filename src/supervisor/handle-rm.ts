/**
 * `rm`: remove the given stopped service containers (the CLI lists them, asks, and sends their ids; a
 * container that runs by now is left alone). A service left with no container is no longer brought up
 * by the supervisor — as with Compose, the next `up` creates it again. `volumes`: the containers'
 * anonymous volumes go too; without it they stay, detached from their slot (as `down`).
 */
import type { OnProgress } from '../api.js';
import type { ContainerInfo } from '../runtime/api.js';
import { isTscError } from '../errors.js';
import { LABEL_ANONYMOUS, LABEL_NUMBER, LABEL_SERVICE } from '../volume/api.js';
import type { Controller } from './controller.js';

export async function handleRm(c: Controller, ids: string[], volumes: boolean, progress: OnProgress): Promise<{ removed: string[] }> {
  return c.exclusive(async () => {
    const infos = (await c.observe()).filter((i) => ids.includes(i.id) && i.status !== 'running');
    await Promise.all(infos.map(async (i) => {
      const res = `Container ${i.name}`;
      progress({ type: 'resource', resource: res, status: 'Removing', done: false });
      if (c.project) {
        await c.retire(i.id, i.service, i.name, c.service(i.service), undefined, 'later');
      } else {
        await c.deps.runtime.remove(i.id, { force: true });
        c.emit('destroy', i);
      }
      progress({ type: 'resource', resource: res, status: 'Removed', done: true });
    }));
    const gone = new Set(infos.map((i) => i.id));
    const left = (await c.observe()).filter((i) => !gone.has(i.id));
    for (const s of new Set(infos.map((i) => i.service))) if (!left.some((i) => i.service === s)) delete c.st.active[s];
    c.st.noRestart = c.st.noRestart.filter((id) => !gone.has(id));
    await c.save();
    await anonymousVolumes(c, infos, volumes);
    return { removed: infos.map((i) => i.name) };
  });
}

async function anonymousVolumes(c: Controller, removed: ContainerInfo[], remove: boolean): Promise<void> {
  const vm = c.deps.volumes;
  if (!vm || removed.length === 0) return;
  if (!remove) {
    await vm.releaseAnonymousVolumes(c.st.name);
    return;
  }
  const slots = new Set(removed.map((i) => `${i.service}/${i.number}`));
  for (const v of await vm.list({ project: c.st.name })) {
    if (!(LABEL_ANONYMOUS in v.Labels) || !slots.has(`${v.Labels[LABEL_SERVICE] ?? ''}/${v.Labels[LABEL_NUMBER] ?? ''}`)) continue;
    await vm.remove(v.Name).catch((e: unknown) => {
      if (!isTscError(e) || (e.code !== 'CONFLICT' && e.code !== 'NOT_FOUND')) throw e; // still mounted by another container
    });
  }
}
