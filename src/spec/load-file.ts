/**
 * One compose file through the per-file stages: read, parse (positions), interpolate, validate (area 2's
 * schema check, on a view without `!reset`/`!override` wrappers), `include:`, path rebasing, `extends:`.
 * All problems of the file are thrown together once; warnings go to the session.
 */
import { specFs } from './inputs.js';
import { dirname } from 'node:path';
import { TscError, errnoCode } from '../errors.js';
import { formatProblem, type SourceDoc, type SpecProblem } from './source.js';
import { parseYaml } from './yaml.js';
import { interpolateDoc } from './interpolate-doc.js';
import type { Lookup } from './interpolate.js';
import { rebaseDocument } from './load-paths.js';
import { resolveExtends } from './extends.js';
import { containsTags, stripTags } from './merge.js';
import { applyIncludes } from './include.js';
import { isObject, makeSourceDoc, type PlainObject } from './yaml-located.js';

export interface Session {
  interpolate: boolean;
  validate: (doc: SourceDoc) => SpecProblem[];
  warnings: SpecProblem[];
  /** Process environment (without .env), the base of included projects' environments. */
  osEnv: Record<string, string | undefined>;
  stdin?: string;
}

export function readText(file: string, session: Session): string {
  try {
    if (file === '-') return (session.stdin ??= specFs.read(0)); // kept: stdin reads once
    return specFs.read(file);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') throw new TscError('SPEC_NOT_FOUND', `open ${file}: no such file or directory`);
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e));
    throw new TscError('SPEC_NOT_FOUND', `cannot read ${file}: ${why}`, { cause: e });
  }
}

export function throwProblems(file: string, problems: SpecProblem[], code: 'SPEC_INVALID' | 'SPEC_INTERPOLATION' = 'SPEC_INVALID'): void {
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return;
  const what = code === 'SPEC_INTERPOLATION' ? 'error while interpolating' : 'invalid compose file';
  throw new TscError(code, `${file}: ${what}`, { details: errors.map(formatProblem) });
}

/** Parse + interpolate only: what `extends: {file}` needs from another file. */
export function parseAndInterpolate(file: string, lookup: Lookup, session: Session): SourceDoc {
  const data = parseYaml(readText(file, session), file);
  if (data === undefined || data === null) {
    throw new TscError('SPEC_INVALID', `${file}: empty compose file`, { details: [`${file}:1:1: (root): empty compose file`] });
  }
  const doc = makeSourceDoc(file, data);
  if (!isObject(data)) {
    throwProblems(file, [{ severity: 'error', position: doc.positionOf([]), path: [], message: `found ${Array.isArray(data) ? 'a sequence' : typeof data}, expected a mapping at the top level` }]);
  }
  if (session.interpolate) {
    const problems: SpecProblem[] = [];
    interpolateDoc(doc, lookup, problems);
    session.warnings.push(...problems.filter((p) => p.severity === 'warning'));
    const missing = problems.some((p) => p.message.startsWith('required variable'));
    throwProblems(file, problems, missing ? 'SPEC_INTERPOLATION' : 'SPEC_INVALID');
  }
  return doc;
}

/**
 * Loads `file` whose relative paths resolve against `dir` (the project directory for the main files).
 * `stack` holds the files being included above this one, for cycle detection.
 */
export function loadFile(file: string, dir: string, lookup: Lookup, session: Session, stack: string[] = []): PlainObject {
  const doc = parseAndInterpolate(file, lookup, session);
  const data = doc.data as PlainObject;
  const problems: SpecProblem[] = [];
  for (const p of session.validate(makeSourceDoc(file, containsTags(data) ? stripTags(data) : data))) {
    if (p.severity === 'error') problems.push(p);
    else session.warnings.push(p);
  }
  throwProblems(file, problems);
  if (data.version !== undefined) {
    session.warnings.push({
      severity: 'warning',
      position: doc.keyPositionOf(['version']),
      path: ['version'],
      message: 'the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion',
    });
    delete data.version;
  }
  if (data.include !== undefined) applyIncludes(doc, dir, session, [...stack, file], problems, lookup);
  rebaseDocument(data, dir);
  resolveExtends(
    data,
    file,
    (other) => {
      try {
        const o = parseAndInterpolate(other, lookup, session).data as PlainObject;
        rebaseDocument(o, dirname(other));
        return { data: o };
      } catch (e) {
        if (e instanceof TscError) return { error: [e.message, ...e.details].join('; ') };
        throw e;
      }
    },
    problems,
  );
  throwProblems(file, problems);
  return data;
}
