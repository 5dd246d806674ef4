/**
 * What a project load looked at on disk, recorded so that a later command can tell, without loading the
 * files again, that loading them now would give the same project: every file read (its text), every path
 * whose existence or kind decided something, and the environment. The spec layer's file access goes
 * through `specFs`; `recordInputs` turns recording on around one load.
 *
 * The one user: a plain `down` (src/cli/early-request.ts) sends its command line to the project's supervisor
 * before the CLI has loaded anything, and the supervisor, which keeps the inputs of the project it was
 * given, starts the down at once when nothing differs (src/supervisor/server.ts); else it declines
 * and the CLI loads the files as any command does.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

/** `read:PATH` → the text (null: unreadable), `file:PATH` / `exists:PATH` → the probe's answer. */
export type Probes = Record<string, string | boolean | null>;

export interface LoadInputs {
  /** Working directory of the command that loaded the project. */
  cwd: string;
  /** The command line's global options: the arguments before the verb. */
  args: string[];
  /** Services named on the command line (they can enable profiles). */
  services: string[];
  /** The whole environment (a load reads most of it: every variable may be interpolated). */
  env: Record<string, string>;
  probes: Probes;
  /** A load that read standard input cannot be repeated. */
  volatile: boolean;
  /** The load's warnings, printed again by a command that skips the load. */
  warnings: Array<{ location: string; path: string; message: string }>;
}

let recording: { probes: Probes; volatile: boolean } | undefined;

function note(key: string, value: string | boolean | null): void {
  if (recording && !(key in recording.probes)) recording.probes[key] = value;
}

/** The probes as they answer now, by kind: a file's text (null: unreadable), a regular file?, exists? */
const PROBES = {
  read(path: string): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  file(path: string): boolean {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
  exists: (path: string): boolean => existsSync(path),
};

/** The spec layer's file access (recorded while `recordInputs` runs). */
export const specFs = {
  /** A file's text (throws as readFileSync); "-" is standard input. */
  read(path: string | 0): string {
    if (path === 0) {
      if (recording) recording.volatile = true;
      return readFileSync(0, 'utf8');
    }
    try {
      const text = readFileSync(path, 'utf8');
      note(`read:${path}`, text);
      return text;
    } catch (e) {
      note(`read:${path}`, null);
      throw e;
    }
  },
  isFile(path: string): boolean {
    const yes = PROBES.file(path);
    note(`file:${path}`, yes);
    return yes;
  },
  exists(path: string): boolean {
    const yes = PROBES.exists(path);
    note(`exists:${path}`, yes);
    return yes;
  },
};

/** Runs one load with recording on; its probes come back with its result (also when it throws: not recorded). */
export async function recordInputs<T>(load: () => Promise<T>): Promise<{ result: T; probes: Probes; volatile: boolean }> {
  const mine = { probes: {} as Probes, volatile: false };
  const outer = recording;
  recording = mine;
  try {
    const result = await load();
    return { result, ...mine };
  } finally {
    recording = outer;
  }
}

/** What a recorded probe (`kind:path`) answers now; an unknown kind answers nothing any record holds. */
function probeNow(key: string): string | boolean | null | undefined {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  return Object.hasOwn(PROBES, kind) ? PROBES[kind as keyof typeof PROBES](key.slice(colon + 1)) : undefined;
}

/** The command line that asks whether loading the project now would give the recorded one. */
export interface LoadAsk {
  cwd: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * What would make a load for `ask` (no services named) differ from the recorded one, or undefined when it
 * would read exactly the same: working directory, global options, environment, and every probe answering
 * as it did (files unchanged).
 */
export function inputsDiffer(rec: LoadInputs, ask: LoadAsk, probe: (key: string) => string | boolean | null | undefined = probeNow): string | undefined {
  if (rec.volatile) return 'the project was read from standard input';
  if (rec.services.length > 0) return 'the project was loaded with services named';
  if (rec.cwd !== ask.cwd) return 'another working directory';
  if (rec.args.length !== ask.args.length || rec.args.some((a, i) => a !== ask.args[i])) return 'other global options';
  const keys = Object.keys(rec.env);
  if (keys.length !== Object.keys(ask.env).length) return 'another environment';
  for (const k of keys) if (ask.env[k] !== rec.env[k]) return `another environment (${k})`;
  for (const [key, value] of Object.entries(rec.probes)) if (probe(key) !== value) return `changed: ${key}`;
  return undefined;
}

const KEY = Symbol.for('tscompose.load-inputs');

/** The inputs of a project object this process loaded (src/cli/project-ref.ts records them). */
export function inputsOf(project: object): LoadInputs | undefined {
  return ((globalThis as Record<symbol, WeakMap<object, LoadInputs> | undefined>)[KEY])?.get(project);
}

export function rememberInputs(project: object, inputs: LoadInputs): void {
  const g = globalThis as Record<symbol, WeakMap<object, LoadInputs> | undefined>;
  (g[KEY] ??= new WeakMap()).set(project, inputs);
}

/** A LoadInputs from the wire, or undefined when it is not one. */
export function asLoadInputs(v: unknown): LoadInputs | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Partial<LoadInputs>;
  const strs = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');
  const rec = (a: unknown): boolean => typeof a === 'object' && a !== null && !Array.isArray(a);
  if (typeof o.cwd !== 'string' || !strs(o.args) || !strs(o.services) || !rec(o.env) || !rec(o.probes) || typeof o.volatile !== 'boolean') return undefined;
  return { cwd: o.cwd, args: o.args, services: o.services, env: o.env as Record<string, string>, probes: o.probes as Probes, volatile: o.volatile, warnings: Array.isArray(o.warnings) ? o.warnings : [] };
}
