/**
 * Services' `env_file:` folded into `environment:` after the files are merged, so normalize sees one map:
 * env files in order (later files win), then `environment` (list or map) over them. A list entry `FOO`
 * without `=` becomes `FOO: null`, which normalize fills from the caller's environment. Paths are absolute
 * by now (load-paths.ts). Long form `{path, required: false}` skips a missing file; a missing required file
 * is a located error, as in Compose. `format: raw` reads values as written (env.ts parseRawEnv).
 */
import { specFs } from './inputs.js';
import type { SourceDoc, SpecProblem } from './source.js';
import { parseEnv, parseRawEnv, EnvSyntaxError } from './env.js';
import type { Lookup } from './interpolate.js';
import { copyEntry, isObject, put, selfOf, setSelf, type PlainObject } from './yaml-located.js';
import { errnoCode } from '../errors.js';

function envFileError(path: string, code: string): string {
  if (code === 'ENOENT') return `env file ${path} not found: no such file or directory`;
  if (code === 'EACCES' || code === 'EPERM') return `env file ${path} cannot be read: permission denied`;
  if (code === 'EISDIR') return `env file ${path} is a directory`;
  return `env file ${path} cannot be read: ${code}`;
}

export function foldEnvFiles(doc: SourceDoc, lookup: Lookup, problems: SpecProblem[]): void {
  const data = doc.data;
  if (!isObject(data) || !isObject(data.services)) return;
  for (const [name, svc] of Object.entries(data.services)) {
    if (!isObject(svc) || svc.env_file === undefined) continue;
    const entries = Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
    const env: PlainObject = {};
    entries.forEach((entry, i) => {
      const path = isObject(entry) ? entry.path : entry;
      const required = isObject(entry) ? entry.required !== false : true;
      const format = isObject(entry) ? entry.format : undefined;
      const at = Array.isArray(svc.env_file) ? ['services', name, 'env_file', i] : ['services', name, 'env_file'];
      if (typeof path !== 'string') return; // the schema has reported it
      if (format !== undefined && format !== 'raw') {
        problems.push({ severity: 'error', position: doc.positionOf([...at, 'format']), path: [...at, 'format'], message: `unsupported env_file format ${JSON.stringify(format)}: expected "raw" or none` });
        return;
      }
      let text: string;
      try {
        text = specFs.read(path);
      } catch (e) {
        if (!required && errnoCode(e) === 'ENOENT') return;
        problems.push({ severity: 'error', position: doc.positionOf(at), path: at, message: envFileError(path, errnoCode(e) ?? String(e)) });
        return;
      }
      try {
        Object.assign(env, format === 'raw' ? parseRawEnv(text, lookup) : parseEnv(text, lookup));
      } catch (e) {
        if (!(e instanceof EnvSyntaxError)) throw e;
        problems.push({ severity: 'error', position: { file: path, line: e.line, col: e.col }, path: at, message: e.message });
      }
    });
    const own = svc.environment;
    const merged: PlainObject = {};
    const self = own !== null && typeof own === 'object' ? selfOf(own) : undefined;
    if (self) setSelf(merged, self);
    for (const [k, v] of Object.entries(env)) put(merged, k, v);
    if (isObject(own)) {
      for (const k of Object.keys(own)) {
        put(merged, k, own[k]);
        copyEntry(own, k, merged, k);
      }
    } else if (Array.isArray(own)) {
      own.forEach((item, i) => {
        const s = String(item);
        const eq = s.indexOf('=');
        const k = eq < 0 ? s : s.slice(0, eq);
        put(merged, k, eq < 0 ? null : s.slice(eq + 1));
        copyEntry(own, i, merged, k);
      });
    }
    delete svc.env_file;
    put(svc, 'environment', merged);
  }
}
