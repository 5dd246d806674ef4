/**
 * Relative host paths inside services made absolute against the directory they were written for: the
 * project directory for the main files, the other file's directory for `extends: {file}` and the included
 * project's directory for `include`. Covered: build (string or context), bind-mount sources of volumes
 * (short `./x:/y` and long `type: bind`), env_file, develop.watch paths, extends.file, and top-level
 * secrets/configs `file:`. Named volumes, `~` paths and remote build contexts (URLs, git) stay as written.
 */
import { isAbsolute, resolve } from 'node:path';
import { isObject, put, Tagged, type PlainObject } from './yaml-located.js';

const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i;

function rel(p: unknown): p is string {
  return typeof p === 'string' && p !== '' && !isAbsolute(p) && !p.startsWith('~') && !p.includes('$');
}

function rebaseVolume(v: unknown, dir: string): unknown {
  if (typeof v === 'string') {
    const parts = v.split(':');
    const src = parts[0] as string;
    if (parts.length >= 2 && (src === '.' || src === '..' || src.startsWith('./') || src.startsWith('../'))) {
      return [resolve(dir, src), ...parts.slice(1)].join(':');
    }
    return v;
  }
  if (isObject(v) && v.type === 'bind' && rel(v.source)) put(v, 'source', resolve(dir, v.source));
  return v;
}

function inner(v: unknown): unknown {
  return v instanceof Tagged ? v.value : v;
}

export function rebaseService(svc: PlainObject, dir: string): void {
  const build = inner(svc.build);
  if (rel(build) && !REMOTE.test(build)) put(svc, 'build', resolve(dir, build));
  else if (isObject(build) && rel(build.context) && !REMOTE.test(build.context)) put(build, 'context', resolve(dir, build.context));
  else if (isObject(build) && build.context === undefined) put(build, 'context', dir);
  const vols = inner(svc.volumes);
  if (Array.isArray(vols)) for (let i = 0; i < vols.length; i++) vols[i] = rebaseVolume(vols[i], dir);
  const envFile = inner(svc.env_file);
  if (rel(envFile)) put(svc, 'env_file', resolve(dir, envFile));
  else if (Array.isArray(envFile)) {
    envFile.forEach((e, i) => {
      if (rel(e)) envFile[i] = resolve(dir, e);
      else if (isObject(e) && rel(e.path)) put(e, 'path', resolve(dir, e.path));
    });
  }
  const develop = inner(svc.develop);
  if (isObject(develop) && Array.isArray(develop.watch)) {
    for (const w of develop.watch) if (isObject(w) && rel(w.path)) put(w, 'path', resolve(dir, w.path));
  }
  const ext = svc.extends;
  if (isObject(ext) && rel(ext.file)) put(ext, 'file', resolve(dir, ext.file));
}

/** Rebases every service and top-level secret/config file of a document (in place). */
export function rebaseDocument(data: PlainObject, dir: string): void {
  const services = data.services;
  if (isObject(services)) for (const s of Object.values(services)) if (isObject(s)) rebaseService(s, dir);
  for (const top of ['secrets', 'configs']) {
    const m = data[top];
    if (!isObject(m)) continue;
    for (const d of Object.values(m)) if (isObject(d) && rel(d.file)) put(d, 'file', resolve(dir, d.file));
  }
}
