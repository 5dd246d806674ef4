/**
 * YAML text -> plain data with source positions (see yaml-located.ts).
 *
 * js-yaml 4 gives no positions in its result, but its `listener` reports the start offset of every node it
 * composes; a mapping's children arrive as key, value, key, value. From those events each container gets
 * its position table. Aliases come back from js-yaml as shared references, which is why a "billion laughs"
 * document parses cheaply: the expansion happens in `materialize`, which copies the tree (so later stages
 * may change it freely) and refuses more than MAX_NODES nodes or MAX_DEPTH levels with a located error.
 * Schema: YAML 1.2 core (as Compose: `yes`/`no` and dates stay strings) plus merge keys `<<` and Compose's
 * `!reset` / `!override` tags.
 */
import yaml from 'js-yaml';
import { TscError } from '../errors.js';
import { formatKeyPath, type Position } from './source.js';
import { Tagged, copyPositions, isObject, markTagFree, put, setEntry, setParsed, selfOf, entryOf, type LineSource, type Loc, type PlainObject } from './yaml-located.js';

export const MAX_NODES = 200_000;
export const MAX_DEPTH = 128;

const kinds = ['scalar', 'sequence', 'mapping'] as const;
const tagTypes = (['reset', 'override'] as const).flatMap((tag) =>
  kinds.map((kind) => new yaml.Type(`!${tag}`, { kind, construct: (data: unknown) => new Tagged(tag, data ?? null) })),
);
// YAML's merge key type (as js-yaml's own, which its typings do not export)
const mergeType = new yaml.Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (d: unknown) => d === '<<' || d === null });
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [mergeType], explicit: tagTypes });

class LineIndex implements LineSource {
  private starts: number[] | undefined;
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}
  /** Position of the first meaningful character at or after `offset` (skips blanks, comments, tags, anchors). */
  at(offset: number): Position {
    const t = this.text;
    if (!this.starts) {
      this.starts = [0];
      for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
    let o = offset;
    while (o < t.length) {
      const c = t[o];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') o++;
      else if (c === '#') while (o < t.length && t[o] !== '\n') o++;
      else if ((c === '!' || c === '&') && o + 1 < t.length && !/\s/.test(t[o + 1] as string)) {
        while (o < t.length && !/\s/.test(t[o] as string)) o++;
      } else break;
    }
    let lo = 0;
    const starts = this.starts;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, col: o - (starts[lo] as number) + 1 };
  }
}

function located(file: string, pos: Position | { line: number; col: number }, message: string, path = '(root)'): TscError {
  const where = `${file}:${pos.line}:${pos.col}`;
  return new TscError('SPEC_INVALID', `${file}: invalid compose file`, { details: [`${where}: ${path}: ${message}`] });
}

const KEY_LINE = /^(\s*)(?:- +)?(?:"([^"]*)"|'([^']*)'|([^\s#'"{[][^:#]*?))\s*:(?:\s|$)/;

/**
 * A duplicated key of a block mapping (js-yaml names no key): its key path, worked out from the indentation
 * of the lines above, and the line of its first definition, as Compose's "mapping key already defined".
 * Undefined when the text is not plain block style there (flow mappings, sequences above it).
 */
function duplicateKey(text: string, line: number, col: number): { path: string; message: string } | undefined {
  const lines = text.split(/\r?\n/);
  const keyOf = (l: string | undefined): { indent: number; key: string; item: boolean } | undefined => {
    const m = l === undefined ? null : KEY_LINE.exec(l);
    if (!m) return undefined;
    return { indent: (m[1] as string).length, key: (m[2] ?? m[3] ?? m[4] ?? '').trim(), item: /^\s*- /.test(l as string) };
  };
  const here = keyOf(lines[line]);
  if (!here || here.indent !== col || here.item) return undefined;
  const path: string[] = [here.key];
  let first: number | undefined;
  let indent = here.indent;
  for (let i = line - 1; i >= 0 && indent > 0; i--) {
    const k = keyOf(lines[i]);
    if (!k || k.indent > indent) continue;
    if (k.indent === indent && path.length === 1 && k.key === here.key && first === undefined) first = i + 1;
    if (k.indent < indent) {
      if (k.item) return undefined;
      path.unshift(k.key);
      indent = k.indent;
    }
  }
  if (first === undefined && here.indent === 0) {
    for (let i = line - 1; i >= 0; i--) if (keyOf(lines[i])?.indent === 0 && keyOf(lines[i])?.key === here.key) first = i + 1;
  }
  const at = first === undefined ? '' : ` at line ${first}`;
  return { path: formatKeyPath(path), message: `duplicated mapping key ${JSON.stringify(here.key)} (already defined${at})` };
}

/**
 * The nodes js-yaml reports while composing, kept flat (no object per node: a 500-service file has ~50k):
 * each open node's start offset and where its finished children begin in `kidStart`/`kidResult`.
 */
class Composer {
  private readonly starts: number[] = [];
  private readonly marks: number[] = [];
  private readonly kidStart: number[] = [];
  private readonly kidResult: unknown[] = [];
  /** js-yaml's anchors (name -> node), read from its parser state; undefined if a js-yaml version lacks it. */
  anchorMap: unknown;
  constructor(private readonly lines: LineIndex) {}

  readonly listener = (type: 'open' | 'close', state: { position: number; result: unknown; anchorMap?: unknown }): void => {
    this.anchorMap = state.anchorMap;
    if (type === 'open') {
      this.starts.push(state.position);
      this.marks.push(this.kidStart.length);
      return;
    }
    const start = this.starts.pop() as number;
    const mark = this.marks.pop() as number;
    this.annotate(state.result, start, mark);
    this.kidStart.length = mark;
    this.kidResult.length = mark;
    this.kidStart.push(start);
    this.kidResult.push(state.result);
  };

  /** Records where a finished container and its entries were written (a mapping's children: key, value, ...). */
  private annotate(result: unknown, start: number, mark: number): void {
    const raw = result instanceof Tagged ? result.value : result;
    if (typeof raw !== 'object' || raw === null) return;
    const { kidStart, kidResult } = this;
    const n = kidStart.length - mark;
    if (n === 0 || (n === 1 && kidResult[mark] === result)) return; // alias or pass-through
    const self = selfOf(raw) ?? { src: this.lines, off: start };
    if (Array.isArray(raw)) {
      setParsed(raw, self, undefined, kidStart.slice(mark, mark + Math.min(n, raw.length)));
      return;
    }
    const keys: string[] = [];
    const offs: number[] = [];
    const merges: unknown[] = [];
    for (let i = mark; i + 1 < mark + n; i += 2) {
      const key = String(kidResult[i]);
      if (key === '<<' && !Object.prototype.hasOwnProperty.call(raw, '<<')) {
        const v = kidResult[i + 1];
        merges.push(...(Array.isArray(v) ? v : [v]));
        continue;
      }
      if (!Object.prototype.hasOwnProperty.call(raw, key)) break; // explicit-key forms we do not track
      keys.push(key);
      offs.push(kidStart[i] as number, kidStart[i + 1] as number);
    }
    setParsed(raw, self, keys, offs);
    if (merges.length === 0) return;
    const explicit = new Set(keys);
    for (const src of merges) {
      if (!isObject(src)) continue;
      for (const key of Object.keys(src)) {
        if (explicit.has(key)) continue;
        explicit.add(key);
        const e = entryOf(src, key);
        if (e) setEntry(raw, key, e);
      }
    }
  }
}

/** Parses one YAML document; throws SPEC_INVALID with file:line:col for syntax errors and duplicate keys. */
export function parseYaml(text: string, file: string): unknown {
  const composer = new Composer(new LineIndex(text, file));
  const { listener } = composer;
  let data: unknown;
  try {
    data = yaml.load(text, { filename: file, schema: SCHEMA, listener });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const m = e.mark as { line?: number; column?: number } | undefined;
      const pos = { line: (m?.line ?? 0) + 1, col: (m?.column ?? 0) + 1 };
      const dup = e.reason === 'duplicated mapping key' ? duplicateKey(text, pos.line - 1, pos.col - 1) : undefined;
      if (dup) throw located(file, pos, dup.message, dup.path);
      throw located(file, pos, `YAML syntax error: ${e.reason}`);
    }
    if (e instanceof RangeError) throw located(file, { line: 1, col: 1 }, 'document is nested too deeply');
    throw e;
  }
  try {
    return materialize(data, file, anchored(composer.anchorMap));
  } catch (e) {
    if (e instanceof RangeError) throw located(file, { line: 1, col: 1 }, 'document is nested too deeply');
    throw e;
  }
}

/** Node count of `v` with every alias expanded, memoized per shared object (so a bomb costs nothing). */
function expandedSize(v: unknown, memo: Map<object, number>, refs?: Map<object, number>): number {
  if (v instanceof Tagged) return expandedSize(v.value, memo, refs);
  if (typeof v !== 'object' || v === null) return 1;
  refs?.set(v, (refs.get(v) ?? 0) + 1);
  const known = memo.get(v);
  if (known !== undefined) return known;
  memo.set(v, Infinity); // js-yaml cannot build cycles; guard anyway
  let n = 1;
  for (const c of Object.values(v)) n = Math.min(n + expandedSize(c, memo, refs), Number.MAX_SAFE_INTEGER);
  memo.set(v, n);
  return n;
}

/** A step down the tree: its position (the entry's value, else the parent's own) is looked up only for an error. */
interface Step {
  key: string | number;
  parent: object;
}

function stepLoc(s: Step): Loc | undefined {
  const e = entryOf(s.parent, s.key);
  return e ? { src: e.src, off: e.value } : selfOf(s.parent);
}

function refuse(file: string, trail: readonly Step[], message: string): TscError {
  const last = trail[trail.length - 1];
  const loc = last ? stepLoc(last) : undefined;
  const at = loc ? loc.src.at(loc.off) : { file, line: 1, col: 1 };
  const path = trail.length === 0 ? '(root)' : formatKeyPath(trail.map((t) => t.key));
  return new TscError('SPEC_INVALID', `${file}: invalid compose file`, { details: [`${file}:${at.line}:${at.col}: ${path}: ${message}`] });
}

/**
 * Refuses alias-expansion bombs before anything is copied, pointing at the entry that expands too far.
 * `known`: sizes and parent counts already worked out by `scan`, when it saw the whole tree.
 */
function checkExpansion(root: unknown, file: string, known?: { sizes: Map<object, number>; refs: Map<object, number>; size: number }): void {
  const memo = known?.sizes ?? new Map<object, number>();
  const refs = known?.refs ?? new Map<object, number>();
  if ((known ? known.size : expandedSize(root, memo, refs)) <= MAX_NODES) return;
  const trail: Step[] = [];
  let node: unknown = root;
  while (typeof node === 'object' && node !== null && expandedSize(node, memo) > MAX_NODES) {
    const parent: object = node;
    let best: string | undefined;
    for (const k of Object.keys(parent)) {
      const size = expandedSize((parent as PlainObject)[k], memo);
      if (best === undefined || size > expandedSize((parent as PlainObject)[best], memo)) best = k;
    }
    if (best === undefined) break;
    const key = Array.isArray(parent) ? Number(best) : best;
    trail.push({ key, parent });
    node = (parent as PlainObject)[best];
    if (node instanceof Tagged) node = node.value;
    if (typeof node === 'object' && node !== null && (refs.get(node) ?? 0) > 1) break; // an alias: point at it
  }
  throw refuse(file, trail, `document expands to more than ${MAX_NODES} nodes (anchor/alias expansion bomb?)`);
}

/** The anchored containers, or undefined when js-yaml did not say (then every container is looked at). */
function anchored(anchorMap: unknown): object[] | undefined {
  if (typeof anchorMap !== 'object' || anchorMap === null) return undefined;
  return Object.values(anchorMap).filter((v): v is object => typeof v === 'object' && v !== null);
}

/**
 * Containers that may have more than one parent: js-yaml builds every node afresh except an alias (the
 * anchored node itself) and a merge key's values (taken from the merged node), so only anchored subtrees
 * can be shared. Deeper than MAX_DEPTH + 1 below an anchor is deeper than `scan` counts anyway.
 */
function shareable(roots: readonly object[]): Set<object> {
  const out = new Set<object>();
  const add = (v: unknown, depth: number): void => {
    if (v instanceof Tagged) return add(v.value, depth);
    if (typeof v !== 'object' || v === null || out.has(v) || depth > MAX_DEPTH + 1) return;
    out.add(v);
    for (const c of Object.values(v)) add(c, depth + 1);
  };
  for (const r of roots) add(r, 0);
  return out;
}

/**
 * One walk over the parsed tree: how many parents each object has (more than one: an alias), the tree's
 * node count with aliases expanded (as expandedSize, memoized in `sizes`), whether it is too deep (then the
 * count stops at MAX_DEPTH and is not the full one) and whether it holds `!reset`/`!override` tags.
 */
function scan(root: unknown, candidates?: Set<object>): { refs: Map<object, number>; sizes: Map<object, number>; size: number; shared: boolean; deep: boolean; tagged: boolean } {
  // parent counts and memoized sizes only for containers that can be shared (see shareable)
  const refs = new Map<object, number>();
  const sizes = new Map<object, number>();
  let shared = false;
  let deep = false;
  let tagged = false;
  const walk = (v: unknown, depth: number): number => {
    if (v instanceof Tagged) {
      tagged = true;
      return walk(v.value, depth);
    }
    if (typeof v !== 'object' || v === null) return 1;
    const candidate = candidates === undefined || candidates.has(v);
    if (candidate) {
      const n = (refs.get(v) ?? 0) + 1;
      refs.set(v, n);
      if (n > 1) {
        shared = true;
        return sizes.get(v) ?? Infinity;
      }
    }
    if (depth > MAX_DEPTH) {
      deep = true;
      return 1;
    }
    let size = 1;
    for (const c of Object.values(v)) size = Math.min(size + walk(c, depth + 1), Number.MAX_SAFE_INTEGER);
    if (candidate) sizes.set(v, size);
    return size;
  };
  const size = walk(root, 0);
  return { refs, sizes, size, shared, deep, tagged };
}

/**
 * Makes the parsed tree safe to change: every aliased (shared) subtree is replaced by its own deep copy,
 * positions kept; refuses absurd nesting. A document without aliases is returned as it is.
 */
function materialize(root: unknown, file: string, anchoredRoots?: readonly object[]): unknown {
  const scanned = scan(root, anchoredRoots && shareable(anchoredRoots));
  const { refs, shared, deep, tagged } = scanned;
  if (!tagged && typeof root === 'object' && root !== null) markTagFree(root);
  if (!shared && !deep) return root;
  if (shared) checkExpansion(root, file, deep ? undefined : scanned);
  const trail: Step[] = [];
  const tooDeep = (depth: number): void => {
    if (depth > MAX_DEPTH) throw refuse(file, trail.slice(0, 2), `document is nested deeper than ${MAX_DEPTH} levels`);
  };
  const copy = (v: unknown, depth: number): unknown => {
    tooDeep(depth);
    if (v instanceof Tagged) return new Tagged(v.tag, copy(v.value, depth));
    if (typeof v !== 'object' || v === null) return v;
    const out: unknown[] | PlainObject = Array.isArray(v) ? [] : {};
    copyPositions(v, out);
    for (const k of Object.keys(v)) {
      trail.push({ key: Array.isArray(v) ? Number(k) : k, parent: v });
      const c = copy((v as PlainObject)[k], depth + 1);
      trail.pop();
      if (Array.isArray(out)) out.push(c);
      else put(out, k, c);
    }
    return out;
  };
  // walks the unshared part in place, copying only what is reachable more than once
  const unshare = (v: object, depth: number): void => {
    tooDeep(depth);
    for (const k of Object.keys(v)) {
      const c = (v as PlainObject)[k];
      if (typeof c !== 'object' || c === null) continue;
      trail.push({ key: Array.isArray(v) ? Number(k) : k, parent: v });
      if (c instanceof Tagged || (refs.get(c) ?? 0) > 1) put(v as PlainObject, k, copy(c, depth + 1));
      else unshare(c, depth + 1);
      trail.pop();
    }
  };
  if (typeof root !== 'object' || root === null || root instanceof Tagged || (refs.get(root) ?? 0) > 1) return copy(root, 0);
  unshare(root, 0);
  return root;
}
