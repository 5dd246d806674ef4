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

interface Meta {
  self: Loc;
  entries: Map<string | number, EntryPos>;
}

const META = new WeakMap<object, Meta>();

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
  const m = META.get(container);
  if (m) m.self = self;
  else META.set(container, { self, entries: new Map() });
}

export function selfOf(container: object): Loc | undefined {
  return META.get(container)?.self;
}

export function setEntry(container: object, key: string | number, pos: EntryPos): void {
  let m = META.get(container);
  if (!m) {
    m = { self: { src: pos.src, off: pos.key }, entries: new Map() };
    META.set(container, m);
  }
  m.entries.set(key, pos);
}

export function entryOf(container: object, key: string | number): EntryPos | undefined {
  return META.get(container)?.entries.get(key);
}

/** Copies the position of `from[fromKey]` to `to[toKey]`, and the container's own position if `to` has none. */
export function copyEntry(from: object, fromKey: string | number, to: object, toKey: string | number): void {
  const e = entryOf(from, fromKey);
  if (e) setEntry(to, toKey, e);
  if (!META.get(to)?.self) {
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
