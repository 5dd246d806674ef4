/** Volumes, binds and tmpfs: see api.ts for the contract. */
export * from './api.js';
export { VolumeManager } from './manager.js';
export { VolumeStore, volumeNameProblem } from './store.js';
export { planMounts, parseVolumesFrom, anonymousVolumeName, type MountIntent } from './plan.js';
export { seedFromLayers } from './seed.js';
export { resolveMerged, mergedChildren } from './merged-view.js';
