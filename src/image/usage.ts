/**
 * Which images and layers containers use, from the container records under `<TSCOMPOSE_ROOT>/containers`
 * (any state: as Docker, a stopped container still holds its image). `image rm` refuses to delete an
 * image in use unless forced, and prune never removes an image or a layer a container still needs.
 */
import { dirname } from 'node:path';
import { listRecords } from '../runtime/container-store.js';
import type { ImageStore } from './store.js';

export interface ImageUsage {
  /** image id → names of the containers created from it */
  byImage: Map<string, string[]>;
  /** absolute layer `diff` directories some container mounts (an image removed with -f keeps them busy) */
  layerDirs: Set<string>;
}

export async function imageUsage(store: ImageStore): Promise<ImageUsage> {
  const recs = await listRecords(dirname(store.dir));
  const byImage = new Map<string, string[]>();
  const layerDirs = new Set<string>();
  for (const r of recs) {
    byImage.set(r.imageId, [...(byImage.get(r.imageId) ?? []), r.name]);
    for (const d of r.layerDirs) layerDirs.add(d);
  }
  return { byImage, layerDirs };
}
