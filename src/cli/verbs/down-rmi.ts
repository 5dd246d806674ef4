/**
 * `down --rmi local|all`: the images of the project's services go after its containers, as Compose
 * removes them: `all` every service's image, `local` only images without a custom tag (services without
 * `image:`, whose image is named PROJECT-SERVICE). An image still used elsewhere stays, with a warning.
 */
import type { OnProgress } from '../../api.js';
import type { Project } from '../../spec/model.js';
import { TscError, isTscError } from '../../errors.js';

export type RmiMode = 'local' | 'all';

export function parseRmi(v: string | undefined): RmiMode | undefined {
  if (v === undefined) return undefined;
  if (v !== 'local' && v !== 'all') throw new TscError('USAGE', `invalid --rmi "${v}": use "local" or "all"`);
  return v;
}

/** Pure: the images `down --rmi` removes, from the project (or, without a file, the containers' images). */
export function imagesToRemove(mode: RmiMode, project: Project | undefined, containerImages: readonly string[]): string[] {
  if (!project) return mode === 'all' ? [...new Set(containerImages.filter(Boolean))].sort() : [];
  const out = new Set<string>();
  for (const s of Object.values(project.services)) {
    if (s.image !== undefined && mode === 'local') continue;
    out.add(s.image ?? `${project.name}-${s.name}`);
  }
  return [...out].sort();
}

export async function removeImages(refs: readonly string[], on: OnProgress): Promise<void> {
  if (refs.length === 0) return; // a plain `down` does not load the image store's modules after its answer
  const [{ ImageStore }, { removeImage }] = await Promise.all([import('../../image/store.js'), import('../../image/admin.js')]);
  const store = new ImageStore();
  for (const ref of refs) {
    try {
      await removeImage(store, ref);
      on({ type: 'resource', resource: `Image ${ref}`, status: 'Removed', done: true });
    } catch (e) {
      if (!isTscError(e) || (e.code !== 'CONFLICT' && e.code !== 'NOT_FOUND')) throw e;
      // as Compose: an image in use elsewhere, or already gone, is a warning, not a failure
      on({ type: 'message', level: 'warning', text: `Image ${ref}: ${e.code === 'CONFLICT' ? 'Resource is still in use' : 'No resource found to remove'}` });
    }
  }
}
