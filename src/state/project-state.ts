/**
 * The supervisor's durable record of a project: what the user asked for (the intent), written atomically
 * *before* acting on it. Together with the runtime's own container records (labels) this is all a new
 * supervisor needs: reconcile is level-triggered, so re-running it from this record after a crash at any
 * instant converges without duplicates (containers are found by label, never re-created blindly).
 *
 * `phase: 'down'` is the intent record of a `down` in progress: a supervisor that finds it finishes the
 * removal instead of bringing the project back.
 */
import type { Project } from '../spec/model.js';
import type { RestartState } from '../controller/restart.js';
import { TscError } from '../errors.js';
import { readJsonFile, writeFileAtomic } from './atomic.js';

export interface ServiceIntent {
  mode: 'running' | 'created';
}

export interface ProjectState {
  version: 1;
  name: string;
  phase: 'up' | 'down';
  /** The last project handed over by `up` (the full normalized model). */
  project?: Project;
  /** Services brought up, by name. */
  active: Record<string, ServiceIntent>;
  /** Replica counts set by `scale` / `up --scale`, over the file's. */
  scale: Record<string, number>;
  /** Container ids stopped or killed by a verb: never restarted by policy. */
  noRestart: string[];
  /** Restart bookkeeping per slot ("service/number"). */
  restarts: Record<string, RestartState>;
  /** Journal: runtime ids a pass is about to create; cleared when the pass ends. Ids left here after a
   *  crash that the runtime does not know get their half-made network and volumes undone. */
  pending?: string[];
  /** `down -v` in progress. */
  removeVolumes?: boolean;
  /** `down --remove-orphans` in progress (a plain `down` keeps running orphans, also when finished by a successor). */
  removeOrphans?: boolean;
}

export function emptyState(name: string): ProjectState {
  return { version: 1, name, phase: 'up', active: {}, scale: {}, noRestart: [], restarts: {} };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseRestarts(v: unknown): Record<string, RestartState> {
  const out: Record<string, RestartState> = {};
  if (!isRecord(v)) return out;
  for (const [k, r] of Object.entries(v)) {
    if (isRecord(r) && typeof r.attempts === 'number' && typeof r.backoffMs === 'number' && Array.isArray(r.history)) {
      out[k] = { attempts: r.attempts, backoffMs: r.backoffMs, history: r.history.filter((x): x is number => typeof x === 'number') };
    }
  }
  return out;
}

/** Validate a parsed state file. The embedded project was produced by our own loader and is kept as is. */
export function parseProjectState(v: unknown, name: string): ProjectState {
  if (!isRecord(v) || v.version !== 1 || (v.phase !== 'up' && v.phase !== 'down')) {
    throw new TscError('STATE', `state of project ${name} is unreadable (unknown format)`);
  }
  const active: Record<string, ServiceIntent> = {};
  if (isRecord(v.active)) {
    for (const [k, i] of Object.entries(v.active)) {
      if (isRecord(i) && (i.mode === 'running' || i.mode === 'created')) active[k] = { mode: i.mode };
    }
  }
  const scale: Record<string, number> = {};
  if (isRecord(v.scale)) for (const [k, n] of Object.entries(v.scale)) if (typeof n === 'number' && n >= 0) scale[k] = n;
  const st: ProjectState = {
    version: 1,
    name,
    phase: v.phase,
    active,
    scale,
    noRestart: Array.isArray(v.noRestart) ? v.noRestart.filter((x): x is string => typeof x === 'string') : [],
    restarts: parseRestarts(v.restarts),
  };
  if (isRecord(v.project) && typeof v.project.name === 'string' && isRecord(v.project.services)) {
    st.project = v.project as unknown as Project;
  }
  if (v.removeVolumes === true) st.removeVolumes = true;
  if (v.removeOrphans === true) st.removeOrphans = true;
  if (Array.isArray(v.pending)) st.pending = v.pending.filter((x): x is string => typeof x === 'string');
  return st;
}

export async function loadProjectState(file: string, name: string): Promise<ProjectState | undefined> {
  let raw: unknown;
  try {
    raw = await readJsonFile(file);
  } catch (e) {
    throw new TscError('STATE', `state of project ${name} is unreadable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return raw === undefined ? undefined : parseProjectState(raw, name);
}

export async function saveProjectState(file: string, st: ProjectState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(st)}\n`);
}
