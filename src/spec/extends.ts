/**
 * `extends:` of services, in the same file (`extends: base` or `{service: base}`) or another one
 * (`{file, service}`), recursively, with cycle detection. The base service is merged under the extending one
 * with the same rules as several files (merge.ts). As Compose documents, `depends_on` and `volumes_from` of
 * the base are never inherited (dependencies stay visible where the service is declared). Content from
 * another file has had its relative paths rebased to that file's directory by the loader.
 */
import type { SpecProblem } from './source.js';
import { mergeDocs } from './merge.js';
import { copyEntry, isObject, makeSourceDoc, put, selfOf, setSelf, type PlainObject } from './yaml-located.js';

/** Loads another file for `extends: {file}`: parsed, interpolated and rebased to its own directory. */
export type ExtendsFileLoader = (file: string) => { data: PlainObject } | { error: string };

const NOT_INHERITED = ['depends_on', 'volumes_from'];

export function resolveExtends(data: PlainObject, file: string, loadOther: ExtendsFileLoader, problems: SpecProblem[]): void {
  const docs = new Map<string, PlainObject>([[file, data]]);
  const resolved = new Set<string>();
  const fail = (f: string, path: (string | number)[], message: string): void => {
    const doc = makeSourceDoc(f, docs.get(f));
    problems.push({ severity: 'error', position: doc.positionOf(path), path, message });
  };

  /** The resolved service; undefined if it does not exist, null if resolving it failed (already reported). */
  const resolve = (f: string, name: string, stack: string[]): PlainObject | undefined | null => {
    const services = docs.get(f)?.services;
    const svc = isObject(services) ? services[name] : undefined;
    if (!isObject(svc)) return undefined;
    const id = `${f}#${name}`;
    if (resolved.has(id) || svc.extends === undefined) return svc;
    if (stack.includes(id)) {
      fail(f, ['services', name, 'extends'], `circular extends: ${[...stack, id].map((s) => s.replace(/^.*#/, '')).join(' -> ')}`);
      return null;
    }
    const ext = svc.extends;
    const baseName = typeof ext === 'string' ? ext : isObject(ext) && typeof ext.service === 'string' ? ext.service : undefined;
    if (baseName === undefined) return svc; // the schema reports the malformed value
    let baseFile = f;
    if (isObject(ext) && typeof ext.file === 'string') {
      baseFile = ext.file;
      if (!docs.has(baseFile)) {
        const other = loadOther(baseFile);
        if ('error' in other) {
          fail(f, ['services', name, 'extends', 'file'], other.error);
          return null;
        }
        docs.set(baseFile, other.data);
      }
    }
    const base = resolve(baseFile, baseName, [...stack, id]);
    if (base === null) return null;
    if (base === undefined) {
      const where = isObject(ext) ? ['services', name, 'extends', 'service'] : ['services', name, 'extends'];
      fail(f, where, `cannot extend service "${baseName}": no such service${baseFile !== f ? ` in ${baseFile}` : ''}`);
      return null;
    }
    const inherited: PlainObject = { ...base };
    for (const k of [...NOT_INHERITED, 'extends']) delete inherited[k];
    const own: PlainObject = { ...svc };
    delete own.extends;
    const merged = mergeDocs(withMeta(base, inherited), withMeta(svc, own), ['services', name]) as PlainObject;
    put(services as PlainObject, name, merged);
    resolved.add(id);
    return merged;
  };

  const services = data.services;
  if (!isObject(services)) return;
  for (const name of Object.keys(services)) resolve(file, name, []);
}

/** `copy` (a shallow copy of `from` with some keys left out) given `from`'s position table. */
function withMeta(from: PlainObject, copy: PlainObject): PlainObject {
  const o: PlainObject = {};
  const s = selfOf(from);
  if (s) setSelf(o, s);
  for (const k of Object.keys(copy)) {
    put(o, k, copy[k]);
    copyEntry(from, k, o, k);
  }
  return o;
}
