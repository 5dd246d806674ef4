/**
 * The loading pipeline (DESIGN.md "Data flow"): discover files, read the interpolation environment, load each
 * file (load-file.ts), merge them in order, fold services' env_file into environment, pick the project name
 * and the active profiles, then hand the merged document to area 2's normalize.
 */
import { specFs } from './inputs.js';
import { basename, dirname, join, resolve } from 'node:path';
import { TscError } from '../errors.js';
import type { LoadResult, SpecWarning } from './model.js';
import { formatKeyPath, formatPosition, type KeyPath, type SourceDoc, type SpecProblem } from './source.js';
import type { LoadOptions } from './index.js';
import { discoverFiles } from './discover.js';
import { readEnvFiles } from './load-env.js';
import { loadFile, readText, throwProblems, type Session } from './load-file.js';
import { mergeDocs } from './merge.js';
import { foldEnvFiles } from './env-file.js';
import { isValidProjectName, normalizeProjectName, PROJECT_NAME_RULE } from './project-name.js';
import { isObject, makeSourceDoc, type PlainObject } from './yaml-located.js';
import { validateDocument } from './validate.js';
import type { ValidationMemo } from './validate-memo.js';
import { parseYaml } from './yaml.js';
import { interpolate } from './interpolate.js';
import type { NormalizeContext } from './normalize.js';

interface Environment {
  vars: Record<string, string | undefined>;
  envFiles: string[];
  /** true when the env file is the project directory's `.env` (so it moves with the project directory) */
  dotEnv: boolean;
}

function readEnvironment(opts: LoadOptions, dir: string, osEnv: Record<string, string | undefined>, session: Session): Environment {
  const cwd = opts.cwd ?? process.cwd();
  let envFiles: string[];
  // --env-file, else COMPOSE_ENV_FILES (comma-separated, as Compose), else <project dir>/.env
  const named = opts.envFiles && opts.envFiles.length > 0 ? opts.envFiles : osEnv.COMPOSE_ENV_FILES?.split(',').filter((f) => f.trim() !== '');
  if (named && named.length > 0) {
    envFiles = named.map((f) => resolve(cwd, f.trim()));
    for (const f of envFiles) if (!specFs.exists(f)) throw new TscError('SPEC_NOT_FOUND', `couldn't find env file: ${f}`);
  } else {
    envFiles = specFs.exists(join(dir, '.env')) ? [join(dir, '.env')] : [];
  }
  return { vars: readEnvFiles(envFiles, osEnv, (f) => readText(f, session)), envFiles, dotEnv: !(named && named.length > 0) };
}

function projectName(opts: LoadOptions, vars: Record<string, string | undefined>, merged: PlainObject, dir: string): string {
  const explicit: Array<[string | undefined, string]> = [
    [opts.projectName, '-p'],
    [vars.COMPOSE_PROJECT_NAME || undefined, 'COMPOSE_PROJECT_NAME'],
  ];
  for (const [name, from] of explicit) {
    if (name === undefined) continue;
    if (!isValidProjectName(name)) throw new TscError('USAGE', `invalid project name ${JSON.stringify(name)} (from ${from}): ${PROJECT_NAME_RULE}`);
    return name;
  }
  // the file's `name:` is normalized like a directory name (compose-go), not refused
  const fromFile = typeof merged.name === 'string' ? normalizeProjectName(merged.name) : '';
  if (fromFile !== '') return fromFile;
  const fromDir = normalizeProjectName(basename(dir));
  if (fromDir === '') throw new TscError('USAGE', `project name must not be empty (directory ${JSON.stringify(basename(dir))} gives none): use -p`);
  return fromDir;
}

/** The project name before the files are loaded: -p, else the last file's top-level `name:` (interpolated), else the directory's. */
function earlyProjectName(opts: LoadOptions, vars: Record<string, string | undefined>, files: string[], dir: string, session: Session): string {
  if (opts.projectName) return opts.projectName;
  let name: string | undefined;
  for (const f of files) {
    let data: unknown;
    try {
      data = parseYaml(readText(f, session), f);
    } catch {
      continue; // the real load reports it
    }
    if (isObject(data) && typeof data.name === 'string' && data.name !== '') {
      try {
        name = interpolate(data.name, (k) => vars[k]);
      } catch {
        name = data.name;
      }
    }
  }
  return (name && normalizeProjectName(name)) || normalizeProjectName(basename(dir));
}

/** Profiles of `services` (named on the command line) are activated so that those services run. */
function activeProfiles(opts: LoadOptions, vars: Record<string, string | undefined>, merged: PlainObject): string[] {
  const fromEnv = (vars.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const active = new Set(opts.profiles && opts.profiles.length > 0 ? opts.profiles : fromEnv);
  const services = isObject(merged.services) ? merged.services : {};
  const profilesOf = (s: unknown): string[] => (isObject(s) && Array.isArray(s.profiles) ? s.profiles.filter((p): p is string => typeof p === 'string') : []);
  if (active.has('*')) {
    active.delete('*');
    for (const s of Object.values(services)) for (const p of profilesOf(s)) active.add(p);
  }
  for (const name of opts.services ?? []) for (const p of profilesOf(services[name])) active.add(p);
  return [...active];
}

/** With --no-interpolate a `${VAR}` stands where a number or size is expected: not an error of the file. */
function validateUninterpolated(doc: SourceDoc, memo?: ValidationMemo): SpecProblem[] {
  const at = (path: KeyPath): unknown => path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), doc.data);
  return validateDocument(doc, memo).filter((p) => {
    const v = p.severity === 'error' ? at(p.path) : undefined;
    return !(typeof v === 'string' && v.includes('$'));
  });
}

function toWarning(p: SpecProblem): SpecWarning {
  return { location: formatPosition(p.position), path: formatKeyPath(p.path), message: p.message };
}

/** What normalize receives: the merged document and its context (exported for tests and tools). */
export interface MergedProject {
  doc: SourceDoc;
  ctx: NormalizeContext;
  warnings: SpecProblem[];
}

export type { NormalizeContext };

/** Every stage up to (not including) normalize. */
export function loadMerged(opts: LoadOptions): MergedProject {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const osEnv = opts.env ?? process.env;
  const interpolating = opts.interpolate !== false;
  const memo = opts.validationMemo;
  const validate = interpolating ? (d: SourceDoc) => validateDocument(d, memo) : (d: SourceDoc) => validateUninterpolated(d, memo);
  const session: Session = { interpolate: interpolating, validate, warnings: [], osEnv, stdin: opts.stdin };
  const firstFlag = opts.files?.[0];
  const early = opts.projectDirectory ? resolve(cwd, opts.projectDirectory) : firstFlag && firstFlag !== '-' ? dirname(resolve(cwd, firstFlag)) : cwd;
  let env = readEnvironment(opts, early, osEnv, session);
  const { files, warnings: found } = discoverFiles({ files: opts.files, env: env.vars, cwd, projectDirectory: opts.projectDirectory });
  for (const message of found ?? []) session.warnings.push({ severity: 'warning', position: { file: files[0] as string, line: 1, col: 1 }, path: [], message });
  const first = files[0] as string;
  const dir = opts.projectDirectory ? resolve(cwd, opts.projectDirectory) : first === '-' ? cwd : dirname(first);
  if (dir !== early && env.dotEnv) {
    // as compose-go: the project directory's .env adds what the working directory's .env did not set
    const later = readEnvironment(opts, dir, osEnv, session);
    env = { ...later, vars: { ...later.vars, ...env.vars }, envFiles: [...env.envFiles, ...later.envFiles] };
  }
  const vars = env.vars;
  // the compose spec exposes the project name to interpolation as COMPOSE_PROJECT_NAME; worked out only
  // when a file refers to it (it may come from a later file's `name:`)
  let early_name: string | undefined;
  const lookup = (k: string): string | undefined => {
    if (k !== 'COMPOSE_PROJECT_NAME' || vars[k]) return vars[k];
    early_name ??= earlyProjectName(opts, vars, files, dir, session);
    return early_name;
  };

  let merged: unknown;
  for (const f of files) merged = mergeDocs(merged, loadFile(f, dir, lookup, session, []));
  const data = (isObject(merged) ? merged : {}) as PlainObject;
  const doc = makeSourceDoc(first, data);
  const problems: SpecProblem[] = [];
  foldEnvFiles(doc, lookup, problems);
  throwProblems(first, problems);

  const name = projectName(opts, vars, data, dir);
  vars.COMPOSE_PROJECT_NAME = name; // and to `environment: [COMPOSE_PROJECT_NAME]`
  const ctx = { projectName: name, workingDir: dir, composeFiles: files, env: vars, activeProfiles: activeProfiles(opts, vars, data) };
  return { doc, ctx, warnings: session.warnings };
}

export async function load(opts: LoadOptions): Promise<LoadResult> {
  const { normalizeProject } = await import('./normalize.js');
  const { doc, ctx, warnings: early } = loadMerged(opts);
  const first = ctx.composeFiles[0] as string;
  const out = normalizeProject(doc, ctx);
  const errors = out.problems.filter((p) => p.severity === 'error');
  throwProblems(errors[0]?.position.file ?? first, errors);
  const warnings = [...early, ...out.problems.filter((p) => p.severity === 'warning')].map(toWarning);
  return { project: out.project, warnings };
}
