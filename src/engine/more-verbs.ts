/**
 * The engine side of `pause`, `unpause`, `rm`, `wait` and `ls`: requests to the project's supervisor
 * (pause, unpause, rm) or reads of the runtime's records (wait, ls), kept out of the Engine core.
 */
import type { OnProgress, ProgressEvent } from '../api.js';
import type { ExitInfo } from '../runtime/api.js';
import { defaultPaths, type Paths } from '../state/paths.js';
import { ensureSupervisor } from '../supervisor/client.js';
import { createRuntime } from '../supervisor/deps.js';
import { isServiceContainer, L_FILES } from '../supervisor/labels.js';
import { cgroupsPathFor } from '../runtime/oci-config.js';
import { isFrozen } from '../runtime/freezer.js';
import type { ProjectContainer } from './projects.js';

async function request(paths: Paths, project: string, method: 'pause' | 'unpause' | 'rm', params: Record<string, unknown>, on: OnProgress): Promise<unknown> {
  const c = await ensureSupervisor(paths, project);
  try {
    return await c.request(method, params, (e) => on(e as ProgressEvent));
  } finally {
    c.close();
  }
}

export async function pause(project: string, services: string[], on: OnProgress, paths = defaultPaths()): Promise<void> {
  await request(paths, project, 'pause', { services }, on);
}

export async function unpause(project: string, services: string[], on: OnProgress, paths = defaultPaths()): Promise<void> {
  await request(paths, project, 'unpause', { services }, on);
}

/** Remove these (stopped) containers by id. */
export async function rm(project: string, ids: string[], volumes: boolean, on: OnProgress, paths = defaultPaths()): Promise<void> {
  await request(paths, project, 'rm', { ids, volumes }, on);
}

/** Resolves with the container's exit once its PID 1 has exited (at once when it already has). */
export async function waitExit(id: string, paths = defaultPaths()): Promise<ExitInfo> {
  const rt = await createRuntime(paths);
  return rt.wait(id);
}

/** Every service container on this host, by project, for `ls`. */
export async function projectContainers(paths = defaultPaths()): Promise<ProjectContainer[]> {
  const rt = await createRuntime(paths);
  const all = (await rt.list()).filter(isServiceContainer);
  return Promise.all(all.map(async (c) => {
    const paused = c.status === 'running' && (await isFrozen(cgroupsPathFor(c.project, c.id)).catch(() => false));
    const state = paused ? 'paused' : c.status === 'stopped' ? 'exited' : c.status;
    return { project: c.project, state, configFiles: c.labels[L_FILES] ?? '' };
  }));
}
