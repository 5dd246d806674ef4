/**
 * Top-level `include:` (short form: a list of paths; long form: `path` (string or list, merged like -f),
 * `project_directory`, `env_file`). Each included project is loaded on its own, as Compose does: its
 * relative paths resolve against its project directory (default: the first included file's directory),
 * its variables come from the including project's environment over its env files (default
 * `<project_directory>/.env`).
 * Its services, networks, volumes, secrets and configs are added to the including file; a name defined
 * differently on both sides is an error (Compose: "conflicts with imported resource"). Cycles are errors.
 */
import { specFs } from './inputs.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { SourceDoc, SpecProblem } from './source.js';
import { TscError } from '../errors.js';
import { loadFile, readText, type Session } from './load-file.js';
import { mergeDocs } from './merge.js';
import { readEnvFiles } from './load-env.js';
import type { Lookup } from './interpolate.js';
import { copyEntry, isObject, put, setSelf, selfOf, type PlainObject } from './yaml-located.js';

const SECTIONS = ['services', 'networks', 'volumes', 'secrets', 'configs'];

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

/** `parent` is the including project's variables: they win over the included project's env files (compose-go). */
export function applyIncludes(doc: SourceDoc, dir: string, session: Session, stack: string[], problems: SpecProblem[], parent?: Lookup): void {
  const data = doc.data as PlainObject;
  const list = Array.isArray(data.include) ? data.include : [];
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(dir, p));
  list.forEach((entry, i) => {
    const at = ['include', i];
    const paths = (isObject(entry) ? strings(entry.path) : strings(entry))?.map(abs);
    if (!paths || paths.length === 0) return; // shape errors come from the schema
    const fail = (path: (string | number)[], message: string): void => {
      problems.push({ severity: 'error', position: doc.positionOf(path), path, message });
    };
    for (const p of paths) {
      if (stack.includes(p)) return fail(at, `include cycle: ${[...stack, p].join(' -> ')}`);
      if (!specFs.exists(p)) return fail(at, `included file ${p} not found`);
      if (!specFs.isFile(p)) return fail(at, `included path ${p} is not a file`);
    }
    const pd = isObject(entry) && typeof entry.project_directory === 'string' ? abs(entry.project_directory) : dirname(paths[0] as string);
    const named = isObject(entry) ? strings(entry.env_file)?.map(abs) : undefined;
    const envFiles = named ?? (specFs.exists(join(pd, '.env')) ? [join(pd, '.env')] : []);
    let vars: Record<string, string | undefined>;
    try {
      // the including project's environment (process env and its .env) first, the env files add the rest
      const base = parent ?? ((k: string): string | undefined => session.osEnv[k]);
      vars = readEnvFiles(envFiles, {}, (f) => readText(f, session), base);
    } catch (e) {
      const why = e instanceof TscError ? [e.message, ...e.details].join('; ') : e instanceof Error ? e.message : String(e);
      return fail(isObject(entry) && entry.env_file !== undefined ? [...at, 'env_file'] : at, why);
    }
    const lookup = (k: string): string | undefined => parent?.(k) ?? session.osEnv[k] ?? vars[k];
    let merged: unknown;
    for (const p of paths) merged = mergeDocs(merged, loadFile(p, pd, lookup, session, stack));
    if (!isObject(merged)) return;
    for (const section of SECTIONS) {
      const theirs = merged[section];
      if (!isObject(theirs)) continue;
      let ours = data[section];
      if (!isObject(ours)) {
        ours = {};
        const s = selfOf(theirs);
        if (s) setSelf(ours as PlainObject, s);
        put(data, section, ours);
      }
      const target = ours as PlainObject;
      for (const name of Object.keys(theirs)) {
        if (Object.prototype.hasOwnProperty.call(target, name) && JSON.stringify(target[name]) !== JSON.stringify(theirs[name])) {
          fail([section, name], `${section}.${name} conflicts with imported resource from ${paths[0]}`);
          continue;
        }
        put(target, name, theirs[name]);
        copyEntry(theirs, name, target, name);
      }
    }
  });
  delete data.include;
}
