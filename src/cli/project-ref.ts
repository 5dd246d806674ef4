/**
 * Which project a lifecycle verb is about: the loaded compose project, or, when no compose file is found
 * and `-p NAME` was given, just the name (as `docker compose -p NAME down` works without a file).
 */
import type { Command } from 'commander';
import type { Project } from '../spec/model.js';
import { TscError, isTscError } from '../errors.js';
import { loadOptionsFrom, printWarnings } from './global-options.js';

export interface ProjectRef {
  name: string;
  project?: Project;
}

export async function loadProjectFor(cmd: Command, services: string[] = []): Promise<Project> {
  const { loadProject } = await import('../spec/index.js');
  const r = await loadProject(loadOptionsFrom(cmd, { services }));
  printWarnings(r.warnings);
  return r.project;
}

/**
 * `nameOnly`: verbs that need only the project's name (ps, logs, top, exec, events, stop...) skip loading
 * the compose files when `-p` names the project, which keeps them fast.
 */
export async function projectRef(cmd: Command, nameOnly = false): Promise<ProjectRef> {
  const given = cmd.optsWithGlobals<{ projectName?: string }>().projectName;
  if (nameOnly && given) return { name: given.toLowerCase() };
  try {
    const project = await loadProjectFor(cmd);
    return { name: project.name, project };
  } catch (e) {
    const name = cmd.optsWithGlobals<{ projectName?: string }>().projectName ?? process.env.COMPOSE_PROJECT_NAME;
    if (isTscError(e) && e.code === 'SPEC_NOT_FOUND' && name) return { name };
    throw e;
  }
}

export function progressMode(cmd: Command): string {
  return cmd.optsWithGlobals<{ progress?: string }>().progress ?? 'auto';
}

/** Parse "--scale web=3" / "web=3" pairs. */
export function parseScale(pairs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([^=]+)=(\d+)$/.exec(p);
    if (!m || m[1] === undefined || m[2] === undefined) throw usage(`invalid scale "${p}": expected SERVICE=NUMBER`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function usage(msg: string): TscError {
  return new TscError('USAGE', msg);
}

/** Stop timeout in ms from a `-t SECONDS` option. */
export function timeoutMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw usage(`invalid timeout "${v}"`);
  return Math.round(n * 1000);
}
