/**
 * Compose's merge rules for several files (and for `extends`), after compose-go's override package:
 * - mappings merge recursively, scalars are replaced by the later file;
 * - `command`, `entrypoint`, `healthcheck.test` are replaced as a whole;
 * - key=value collections (environment, labels, sysctls, build.args, ...) merge by key, list or map form alike
 *   (the result is a map, which normalize accepts);
 * - other sequences are concatenated, then made unique by their identity: ports by host ip/published/target/
 *   protocol, volumes by container target, secrets/configs by target, expose by port, plain lists by value;
 *   a later entry replaces the earlier one in place;
 * - depends_on / networks in list form become maps before merging; `build: dir` becomes `{context: dir}`;
 *   logging with a different driver is replaced whole; a `null` value over a mapping keeps the mapping;
 * - `!reset` removes the value, `!override` replaces it without merging.
 * Positions follow the winning value (see yaml-located.ts).
 */
import { Tagged, copyEntry, isObject, knownTagFree, put, selfOf, setSelf, type PlainObject } from './yaml-located.js';

const RESET = Symbol('reset');
type Rule =
  | 'replace'
  | 'keyvalue'
  | 'list-unique'
  | 'ports'
  | 'mounts'
  | 'secrets'
  | 'dependson'
  | 'svcnetworks'
  | 'build'
  | 'logging'
  | 'ulimit'
  | 'ipam'
  | 'envfile'
  | 'hosts';

const RULES: ReadonlyArray<[string[], Rule]> = (
  [
    ['services.*.command', 'replace'],
    ['services.*.entrypoint', 'replace'],
    ['services.*.healthcheck.test', 'replace'],
    ['services.*.environment', 'keyvalue'],
    ['services.*.labels', 'keyvalue'],
    ['services.*.annotations', 'keyvalue'],
    ['services.*.sysctls', 'keyvalue'],
    ['services.*.extra_hosts', 'hosts'],
    ['services.*.build.args', 'keyvalue'],
    ['services.*.build.labels', 'keyvalue'],
    ['services.*.build.additional_contexts', 'keyvalue'],
    ['services.*.deploy.labels', 'keyvalue'],
    ['networks.*.labels', 'keyvalue'],
    ['volumes.*.labels', 'keyvalue'],
    ['networks.*.driver_opts', 'keyvalue'],
    ['volumes.*.driver_opts', 'keyvalue'],
    ['services.*.dns', 'list-unique'],
    ['services.*.dns_opt', 'list-unique'],
    ['services.*.dns_search', 'list-unique'],
    ['services.*.tmpfs', 'list-unique'],
    ['services.*.cap_add', 'list-unique'],
    ['services.*.cap_drop', 'list-unique'],
    ['services.*.profiles', 'list-unique'],
    ['services.*.links', 'list-unique'],
    ['services.*.expose', 'list-unique'],
    ['services.*.devices', 'list-unique'],
    ['services.*.security_opt', 'list-unique'],
    ['services.*.group_add', 'list-unique'],
    ['services.*.volumes_from', 'list-unique'],
    ['services.*.networks.*.aliases', 'list-unique'],
    ['services.*.ports', 'ports'],
    ['services.*.volumes', 'mounts'],
    ['services.*.secrets', 'secrets'],
    ['services.*.configs', 'secrets'],
    ['services.*.depends_on', 'dependson'],
    ['services.*.networks', 'svcnetworks'],
    ['services.*.build', 'build'],
    ['services.*.logging', 'logging'],
    ['services.*.ulimits.*', 'ulimit'],
    ['networks.*.ipam.config', 'ipam'],
    ['services.*.env_file', 'envfile'],
  ] as const
).map(([p, r]) => [p.split('.'), r]);

function ruleFor(path: readonly string[]): Rule | undefined {
  for (const [pattern, rule] of RULES) {
    if (pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i])) return rule;
  }
  return undefined;
}

/** True if `v` holds a `!reset` or `!override` value anywhere. */
export function containsTags(v: unknown): boolean {
  if (knownTagFree(v)) return false;
  if (v instanceof Tagged) return true;
  if (typeof v !== 'object' || v === null) return false;
  for (const c of Object.values(v)) if (containsTags(c)) return true;
  return false;
}

/** Removes `!override` wrappers and `!reset` values from data taken over without merging. */
export function stripTags(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Tagged) return v.tag === 'reset' ? undefined : stripTags(v.value);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    v.forEach((item, i) => {
      const s = stripTags(item);
      if (s === undefined) return;
      copyEntry(v, i, out, out.length);
      out.push(s);
    });
    return out;
  }
  if (isObject(v)) {
    const out: PlainObject = {};
    const self = selfOf(v);
    if (self) setSelf(out, self);
    for (const k of Object.keys(v)) {
      const s = stripTags(v[k]);
      if (s === undefined) continue;
      copyEntry(v, k, out, k);
      put(out, k, s);
    }
    return out;
  }
  return v;
}

/** `[a, b]` / `{a: x}` / "a" -> ordered [key, value, source container, source key] entries. */
function keyValues(v: unknown): Array<[string, unknown, object, string | number]> {
  if (isObject(v)) return Object.keys(v).map((k) => [k, v[k], v, k]);
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const holder = Array.isArray(v) ? v : [];
  return list.map((item, i) => {
    const s = String(item);
    const eq = s.search(/[=]/);
    return eq < 0 ? [s, null, holder, i] : [s.slice(0, eq), s.slice(eq + 1), holder, i];
  });
}

function mergeKeyValue(base: unknown, over: unknown): PlainObject {
  const out: PlainObject = {};
  for (const src of [base, over]) {
    if (isObject(src) && selfOf(src)) setSelf(out, selfOf(src)!);
    for (const [k, val, holder, hk] of keyValues(src)) {
      if (Object.prototype.hasOwnProperty.call(out, k)) delete out[k];
      put(out, k, val);
      copyEntry(holder, hk, out, k);
    }
  }
  return out;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

function mountTarget(v: unknown): string {
  if (isObject(v)) return String(v.target ?? '');
  const parts = String(v).split(':');
  return parts.length >= 2 ? (parts[1] as string) : (parts[0] as string);
}

function identity(rule: Rule, v: unknown): string {
  switch (rule) {
    case 'ports':
      if (isObject(v)) return `${String(v.host_ip ?? '')}:${String(v.published ?? '')}:${String(v.target)}/${String(v.protocol ?? 'tcp')}`;
      return String(v);
    case 'mounts':
      return mountTarget(v);
    case 'secrets':
      if (isObject(v)) return String(v.target ?? v.source);
      return String(v);
    case 'envfile':
      return isObject(v) ? String(v.path) : String(v);
    default:
      return isObject(v) ? JSON.stringify(v) : String(v);
  }
}

/** Concatenates, then keeps one entry per identity (the later one, at the earlier one's place). */
function mergeUnique(base: unknown, over: unknown, rule: Rule): unknown[] {
  const out: unknown[] = [];
  const index = new Map<string, number>();
  for (const src of [base, over]) {
    const list = asList(src);
    list.forEach((item, i) => {
      const id = identity(rule, item);
      const at = index.get(id);
      const pos = at ?? out.length;
      if (at === undefined) index.set(id, pos);
      out[pos] = stripTags(item);
      if (Array.isArray(src)) copyEntry(src, i, out, pos);
    });
  }
  return out;
}

function toMap(v: unknown, fill: (name: string) => unknown): unknown {
  if (!Array.isArray(v)) return v;
  const out: PlainObject = {};
  const self = selfOf(v);
  if (self) setSelf(out, self);
  v.forEach((item, i) => {
    put(out, String(item), fill(String(item)));
    copyEntry(v, i, out, String(item));
  });
  return out;
}

function special(rule: Rule, base: unknown, over: unknown, path: string[]): unknown {
  switch (rule) {
    case 'replace':
      return stripTags(over);
    case 'keyvalue':
      if (typeof base !== 'object' || typeof over !== 'object' || base === null || over === null) return stripTags(over);
      return mergeKeyValue(base, over);
    case 'hosts': {
      // "host:ip" / "host=ip" lists merge as lists (one host may have several addresses); maps by host name
      if (Array.isArray(base) && Array.isArray(over)) return mergeUnique(base, over, 'list-unique');
      const asMap = (v: unknown): unknown =>
        Array.isArray(v) ? v.map((h) => String(h).replace(/^([^:=]+)[:=]/, '$1=')) : v;
      return mergeKeyValue(asMap(base), asMap(over));
    }
    case 'dependson': {
      const fill = (): unknown => ({ condition: 'service_started', required: true });
      return mergeMaps(toMap(base, fill), toMap(over, fill), path);
    }
    case 'svcnetworks':
      return mergeMaps(toMap(base, () => null), toMap(over, () => null), path);
    case 'build': {
      const wrap = (v: unknown): unknown => (typeof v === 'string' ? { context: v } : v);
      return mergeMaps(wrap(base), wrap(over), path);
    }
    case 'logging':
      if (isObject(base) && isObject(over) && base.driver !== undefined && over.driver !== undefined && base.driver !== over.driver) {
        return stripTags(over);
      }
      return mergeMaps(base, over, path);
    case 'ulimit':
      return isObject(base) && isObject(over) ? mergeMaps(base, over, path) : stripTags(over);
    case 'ipam': {
      const byNet = (v: unknown): string => (isObject(v) && v.subnet !== undefined ? String(v.subnet) : JSON.stringify(v));
      const out = mergeUnique(base, [], 'list-unique');
      const idx = new Map(out.map((v, i) => [byNet(v), i] as const));
      for (const item of asList(over)) {
        const at = idx.get(byNet(item));
        if (at === undefined) out.push(stripTags(item));
        else out[at] = mergeMaps(out[at], item, [...path, String(at)]);
      }
      return out;
    }
    default:
      if (!Array.isArray(base) && !Array.isArray(over) && rule !== 'envfile') return stripTags(over);
      return mergeUnique(base, over, rule);
  }
}

function mergeMaps(base: unknown, over: unknown, path: string[]): unknown {
  if (!isObject(base) || !isObject(over)) return over === null || over === undefined ? base : stripTags(over);
  const out: PlainObject = {};
  const self = selfOf(over) ?? selfOf(base);
  if (self) setSelf(out, self);
  for (const k of Object.keys(base)) {
    const s = stripTags(base[k]);
    if (s === undefined) continue;
    put(out, k, s);
    copyEntry(base, k, out, k);
  }
  for (const k of Object.keys(over)) {
    const merged = mergeValue(out[k], over[k], [...path, k]);
    if (merged === RESET) {
      delete out[k];
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(out, k) && merged === out[k]) continue;
    put(out, k, merged);
    copyEntry(over, k, out, k);
  }
  return out;
}

function mergeValue(base: unknown, over: unknown, path: string[]): unknown {
  if (over instanceof Tagged) return over.tag === 'reset' ? RESET : stripTags(over.value);
  if (base === undefined) return stripTags(over);
  const rule = ruleFor(path);
  if (rule) return special(rule, base, over, path);
  if (isObject(base) || isObject(over)) return mergeMaps(base, over, path);
  if (Array.isArray(base) && Array.isArray(over)) return mergeUnique(base, over, 'list-unique');
  if (over === null && Array.isArray(base)) return base;
  return stripTags(over);
}

/**
 * Merges `over` onto `base`; `path` is where the two values sit in the document (["services", "web"] when
 * merging one service for `extends`). Neither input is changed; with no base, `over` itself may be returned.
 */
export function mergeDocs(base: unknown, over: unknown, path: string[] = []): unknown {
  if (base === undefined && !containsTags(over)) return over; // nothing to merge or strip: no copy
  const r = mergeValue(base, over, path);
  return r === RESET ? undefined : r;
}
