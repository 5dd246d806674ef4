/**
 * Where things live. `TSCOMPOSE_ROOT` (default /var/lib/tscompose) holds durable state; the run dir
 * (`TSCOMPOSE_RUN_DIR`, default /run/tscompose) holds sockets. Tests point both at fresh temp dirs.
 */
import { join } from 'node:path';

export interface Paths {
  root: string;
  runDir: string;
}

export function defaultPaths(env: Record<string, string | undefined> = process.env): Paths {
  return { root: env.TSCOMPOSE_ROOT ?? '/var/lib/tscompose', runDir: env.TSCOMPOSE_RUN_DIR ?? '/run/tscompose' };
}

export const projectDir = (p: Paths, project: string): string => join(p.root, 'projects', project);
export const projectStateFile = (p: Paths, project: string): string => join(projectDir(p, project), 'state.json');
export const projectLockFile = (p: Paths, project: string): string => join(projectDir(p, project), 'supervisor.lock');
export const supervisorLogFile = (p: Paths, project: string): string => join(projectDir(p, project), 'supervisor.log');
/** Unix socket of the project's supervisor (mode 0600, in a 0700 directory). */
export const supervisorSocket = (p: Paths, project: string): string => join(p.runDir, 'supervisor', `${project}.sock`);
