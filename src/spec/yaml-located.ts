/**
 * Positions attached to parsed data. Every container (object or array) of a loaded document may carry a
 * side table, kept in a WeakMap so the data itself stays plain JSON: the container's own position and, per
 * key/index, where that entry's value and key were written. Moving a subtree (extends, include, merge)
 * therefore keeps its positions; stages that build new containers copy entries with `copyEntry`.
 */
import type { KeyPath, Position, SourceDoc } from './source.js';

/** A parsed text that turns offsets into positions on demand (most positions are never asked for). */
export interface LineSource {
  at(offset: number): Position;
}

/** Where something was written: a text and an offset in it. */
export interface Loc {
  src: LineSource;
  off: number;
}

/** Where an entry's key and value were written (offsets into `src`). */
export interface EntryPos {
  src: LineSource;
  key: number;
  value: number;
}

/**
 * Entry offsets as the parser reported them: `offs[2i]`/`offs[2i+1]` are where key `keys[i]` and its value
 * were written; for a sequence (`keys` undefined) `offs[i]` is where item i was. Turned into EntryPos objects
 * only when a position is first asked for or changed: most never are, and a 500-service file has ~20k.
 */
interface ParsedEntries {
  src: LineSource;
  keys: readonly string[] | undefined;
  offs: readonly number[];
}

interface Meta {
  self: Loc;
  entries: Map<string | number, EntryPos> | undefined;
  parsed: ParsedEntries | undefined;
}

/** Each container's Meta, beside it: the data itself stays plain JSON, and copies do not carry it. */
const META = new WeakMap<object, Meta>();
const metaOf = (o: object): Meta | undefined => META.get(o);
function putMeta(o: object, m: Meta): void {
  META.set(o, m);
}

/** `!reset` / `!override` YAML tags, kept as wrappers until the merge stage resolves them. */
export class Tagged {
  constructor(
    readonly tag: 'reset' | 'override',
    readonly value: unknown,
  ) {}
}

export type PlainObject = Record<string, unknown>;

/** Parsed documents known to hold no `!reset`/`!override` (lets merge skip a walk); see yaml.ts. */
const TAG_FREE = new WeakSet<object>();

export function markTagFree(root: object): void {
  TAG_FREE.add(root);
}

export function knownTagFree(v: unknown): boolean {
  return typeof v === 'object' && v !== null && TAG_FREE.has(v);
}

export function isObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tagged);
}

/** Sets an own property even for "__proto__" (never touches the prototype chain). */
export function put(obj: PlainObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function setSelf(container: object, self: Loc): void {
  const m = metaOf(container);
  if (m) m.self = self;
  else putMeta(container, { self, entries: undefined, parsed: undefined });
}

export function selfOf(container: object): Loc | undefined {
  return metaOf(container)?.self;
}

function entriesOf(m: Meta): Map<string | number, EntryPos> {
  if (m.entries) return m.entries;
  const map = new Map<string | number, EntryPos>();
  const p = m.parsed;
  if (p?.keys) p.keys.forEach((k, i) => map.set(k, { src: p.src, key: p.offs[2 * i] as number, value: p.offs[2 * i + 1] as number }));
  else if (p) p.offs.forEach((o, i) => map.set(i, { src: p.src, key: o, value: o }));
  m.entries = map;
  m.parsed = undefined;
  return map;
}

/** The parser's positions of a container and its entries (see ParsedEntries); kept unexpanded until used. */
export function setParsed(container: object, self: Loc, keys: readonly string[] | undefined, offs: readonly number[]): void {
  const m = metaOf(container);
  if (!m) {
    putMeta(container, { self, entries: undefined, parsed: { src: self.src, keys, offs } });
    return;
  }
  const map = entriesOf(m);
  if (keys) keys.forEach((k, i) => map.set(k, { src: self.src, key: offs[2 * i] as number, value: offs[2 * i + 1] as number }));
  else offs.forEach((o, i) => map.set(i, { src: self.src, key: o, value: o }));
}

export function setEntry(container: object, key: string | number, pos: EntryPos): void {
  let m = metaOf(container);
  if (!m) {
    m = { self: { src: pos.src, off: pos.key }, entries: undefined, parsed: undefined };
    putMeta(container, m);
  }
  entriesOf(m).set(key, pos);
}

export function entryOf(container: object, key: string | number): EntryPos | undefined {
  const m = metaOf(container);
  return m ? entriesOf(m).get(key) : undefined;
}

/**
 * Gives `to` the positions of `from` (its own and its entries'), for a copy with the same keys. The same as
 * setSelf plus copyEntry of every key, without expanding parsed entries.
 */
export function copyPositions(from: object, to: object): void {
  const m = metaOf(from);
  if (m) putMeta(to, { self: m.self, entries: m.entries ? new Map(m.entries) : undefined, parsed: m.parsed });
}

/** Copies the position of `from[fromKey]` to `to[toKey]`, and the container's own position if `to` has none. */
export function copyEntry(from: object, fromKey: string | number, to: object, toKey: string | number): void {
  const e = entryOf(from, fromKey);
  if (e) setEntry(to, toKey, e);
  if (!metaOf(to)?.self) {
    const s = selfOf(from);
    if (s) setSelf(to, s);
  }
}

function locate(root: unknown, path: KeyPath, fallback: Position, wantKey: boolean): Position {
  let node: unknown = root;
  let best: Loc | undefined = typeof root === 'object' && root !== null ? selfOf(root) : undefined;
  for (let i = 0; i < path.length; i++) {
    if (typeof node !== 'object' || node === null) break;
    const key = path[i] as string | number;
    const e = entryOf(node, key);
    const last = i === path.length - 1;
    if (e) best = { src: e.src, off: last && wantKey ? e.key : e.value };
    const next: unknown = Array.isArray(node) ? node[key as number] : (node as PlainObject)[String(key)];
    if (next === undefined) break;
    if (typeof next === 'object' && next !== null) {
      const s = selfOf(next);
      if (s && !e) best = s;
    }
    node = next;
  }
  return best ? best.src.at(best.off) : fallback;
}

export function makeSourceDoc(file: string, data: unknown): SourceDoc {
  const start: Position = { file, line: 1, col: 1 };
  return {
    file,
    data,
    positionOf: (path) => locate(data, path, start, false),
    keyPositionOf: (path) => locate(data, path, start, true),
  };
}
