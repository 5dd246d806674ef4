/**
 * Turns "this document does not match the schema" into one clear message per location.
 *
 * ajv's own errors for a `oneOf` are a cascade (one error per failed branch plus the oneOf itself, with schema
 * paths relative to whichever $ref was compiled separately). Instead, when ajv says no, this walks the schema
 * along the data for the subset of JSON Schema our schema uses, and for a oneOf picks the branch whose type
 * fits the value: if one fits, its errors are the real ones; if none fits, it is one "found X, expected Y"
 * using the schema's `expected` annotation.
 */
import { didYouMean } from './did-you-mean.js';
import type { KeyPath, SourceDoc, SpecProblem } from './source.js';

export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  expected?: string;
  enum?: unknown[];
  /** Standard annotation; for pattern-checked strings, the words a misspelling is compared with. */
  examples?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
  items?: SchemaNode;
  uniqueItems?: boolean;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  definitions?: Record<string, SchemaNode>;
}

const patternCache = new Map<string, RegExp>();
function regex(p: string): RegExp {
  let r = patternCache.get(p);
  if (!r) patternCache.set(p, (r = new RegExp(p, 'u')));
  return r;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** "string \"abc\"", "boolean true", "a list", "a mapping" — how the found value is shown. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function typeMatches(types: string | string[] | undefined, actual: string): boolean {
  if (types === undefined) return true;
  const list = Array.isArray(types) ? types : [types];
  return list.includes(actual) || (actual === 'integer' && list.includes('number'));
}

export class SchemaExplainer {
  constructor(private readonly root: SchemaNode) {}

  resolve(node: SchemaNode): SchemaNode {
    let n = node;
    for (let i = 0; n.$ref !== undefined && i < 32; i++) {
      const name = n.$ref.replace(/^#\/definitions\//, '');
      const target = this.root.definitions?.[name];
      if (!target) break;
      n = { ...target, expected: n.expected ?? target.expected };
    }
    return n;
  }

  private expectedOf(node: SchemaNode): string {
    if (node.expected) return node.expected;
    if (node.enum) return `one of ${node.enum.map((e) => JSON.stringify(e)).join(', ')}`;
    const branches = node.oneOf ?? node.anyOf;
    if (branches) return branches.map((b) => this.expectedOf(this.resolve(b))).join(' or ');
    if (node.type === undefined) return 'a valid value';
    const types = (Array.isArray(node.type) ? node.type : [node.type]).filter((t) => !(t === 'string' && node.pattern));
    return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
  }

  explain(doc: SourceDoc): SpecProblem[] {
    const out: SpecProblem[] = [];
    this.walk(this.root, doc.data, [], doc, out);
    return out;
  }

  private mismatch(node: SchemaNode, value: unknown, path: KeyPath, doc: SourceDoc, out: SpecProblem[]): void {
    const words = (node.enum ?? node.examples ?? []).filter((e): e is string => typeof e === 'string');
    const guess = typeof value === 'string' && words.length > 0 ? didYouMean(value, words) : undefined;
    out.push({
      severity: 'error',
      position: doc.positionOf(path),
      path,
      message: `found ${describeValue(value)}, expected ${this.expectedOf(node)}${guess ? ` (did you mean "${guess}"?)` : ''}`,
    });
  }

  private walk(raw: SchemaNode, value: unknown, path: KeyPath, doc: SourceDoc, out: SpecProblem[]): void {
    const node = this.resolve(raw);
    const actual = jsonType(value);
    const branches = node.oneOf ?? node.anyOf;
    if (branches) {
      const fitting = branches.map((b) => this.resolve(b)).filter((b) => typeMatches(b.type, actual));
      const trials = fitting.map((b) => {
        const errs: SpecProblem[] = [];
        this.walk(b, value, path, doc, errs);
        return errs;
      });
      if (trials.some((t) => t.length === 0)) return;
      const only = trials.length === 1 ? trials[0]! : undefined;
      const samePlace = only?.every((e) => e.path.length === path.length && e.message.startsWith('found '));
      // A branch that fails at this very place says less than the oneOf's own `expected`.
      if (only && !(samePlace && fitting[0]!.expected === undefined)) out.push(...only);
      else this.mismatch(node, value, path, doc, out);
      return;
    }
    if (!typeMatches(node.type, actual)) return this.mismatch(node, value, path, doc, out);
    if (node.enum && !node.enum.includes(value)) return this.mismatch(node, value, path, doc, out);
    if (typeof value === 'string' && node.pattern && !regex(node.pattern).test(value)) {
      return this.mismatch(node, value, path, doc, out);
    }
    if (typeof value === 'number') {
      if ((node.minimum !== undefined && value < node.minimum) || (node.maximum !== undefined && value > node.maximum)) {
        return this.mismatch(node, value, path, doc, out);
      }
    }
    if (Array.isArray(value)) this.walkArray(node, value, path, doc, out);
    else if (typeof value === 'object' && value !== null) {
      this.walkObject(node, value as Record<string, unknown>, path, doc, out);
    }
  }

  private walkArray(node: SchemaNode, value: unknown[], path: KeyPath, doc: SourceDoc, out: SpecProblem[]): void {
    if (node.items) value.forEach((item, i) => this.walk(node.items!, item, [...path, i], doc, out));
    if (node.uniqueItems) {
      const seen = new Map<string, number>();
      value.forEach((item, i) => {
        const key = JSON.stringify(item);
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else {
          out.push({
            severity: 'error',
            position: doc.positionOf([...path, i]),
            path: [...path, i],
            message: `duplicate entry ${describeValue(item)} (already at index ${first}), expected unique entries`,
          });
        }
      });
    }
  }

  private walkObject(
    node: SchemaNode,
    value: Record<string, unknown>,
    path: KeyPath,
    doc: SourceDoc,
    out: SpecProblem[],
  ): void {
    const missing = (node.required ?? []).filter((req) => !(req in value));
    if (missing.length > 0) {
      const names = missing.map((m) => `"${m}"`).join(', ');
      const message = `missing required key${missing.length > 1 ? 's' : ''} ${names}`;
      out.push({ severity: 'error', position: doc.positionOf(path), path, message });
    }
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, key];
      const declared = node.properties?.[key];
      if (declared) {
        this.walk(declared, child, childPath, doc, out);
        continue;
      }
      const byPattern = Object.entries(node.patternProperties ?? {}).find(([p]) => regex(p).test(key));
      if (byPattern) {
        this.walk(byPattern[1], child, childPath, doc, out);
        continue;
      }
      const extra = node.additionalProperties;
      if (extra === false) out.push(this.unknownKey(node, key, path, doc));
      else if (typeof extra === 'object') this.walk(extra, child, childPath, doc, out);
    }
  }

  private unknownKey(node: SchemaNode, key: string, path: KeyPath, doc: SourceDoc): SpecProblem {
    const allowed = Object.keys(node.properties ?? {});
    const guess = didYouMean(key, allowed);
    let message: string;
    if (guess) message = `unknown key "${key}" (did you mean "${guess}"?)`;
    else if (allowed.length === 0) message = `invalid name "${key}", expected letters, digits, '.', '_' or '-'`;
    else message = `unknown key "${key}"`;
    return { severity: 'error', position: doc.keyPositionOf([...path, key]), path, message };
  }
}
