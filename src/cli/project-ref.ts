/**
 * Which project a lifecycle verb is about: the loaded compose project, or, when no compose file is found
 * and `-p NAME` was given, just the name (as `docker compose -p NAME down` works without a file).
 */
import type { Command } from 'commander';
import type { Project } from '../spec/model.js';
import { TscError, isTscError } from '../errors.js';
import { loadOptionsFrom, printWarnings } from './global-options.js';
import { verbIndex } from './verb-of.js';

export interface ProjectRef {
  name: string;
  project?: Project;
}

export async function loadProjectFor(cmd: Command, services: string[] = []): Promise<Project> {
  const [{ loadProject }, inputs] = await Promise.all([import('../spec/index.js'), import('../spec/inputs.js')]);
  const opts = loadOptionsFrom(cmd, { services });
  const env = { ...process.env } as Record<string, string>;
  const { result: r, probes, volatile } = await inputs.recordInputs(() => loadProject(opts));
  printWarnings(r.warnings);
  // what the supervisor keeps with this project, for a later `down` that skips the load (src/cli/early-request.ts)
  const args = process.argv.slice(2);
  const at = verbIndex(args);
  inputs.rememberInputs(r.project, {
    cwd: opts.cwd ?? process.cwd(), args: at < 0 ? args : args.slice(0, at), services: opts.services ?? [], env, probes, volatile,
    warnings: r.warnings.map((w) => ({ location: w.location, path: w.path, message: w.message })),
  });
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

/**
 * As Compose: naming a service the compose file does not define is an error ("no such service: x"),
 * for read-only verbs too. Without a compose file (`-p NAME` only) any name is taken as given.
 * `present`: services known to have containers (no need to load the file for those).
 */
export async function checkServices(cmd: Command, services: readonly string[], present: ReadonlySet<string> = new Set()): Promise<void> {
  // a service that has containers exists: the file is loaded only to tell "no such service" from "none yet"
  if (services.every((s) => present.has(s))) return;
  let project: Project;
  try {
    project = await loadProjectFor(cmd);
  } catch (e) {
    if (isTscError(e) && e.code === 'SPEC_NOT_FOUND') return;
    throw e;
  }
  for (const s of services) {
    if (!project.services[s] && !project.disabledServices[s]) throw new TscError('NOT_FOUND', `no such service: ${s}`);
  }
}

/** The verb's own --progress (after the verb, as cobra's persistent flag allows) over the global one. */
export function progressMode(cmd: Command): string {
  const own = cmd.opts<{ progress?: string }>().progress;
  const mode = own ?? cmd.optsWithGlobals<{ progress?: string }>().progress ?? 'auto';
  if (!['auto', 'tty', 'plain', 'json', 'quiet'].includes(mode)) throw usage(`invalid progress mode "${mode}": use auto, tty, plain, json or quiet`);
  return mode;
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
