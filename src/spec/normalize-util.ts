/**
 * Shared helpers of the normalize-* modules: a problem collector that locates every finding through the
 * SourceDoc, and converters for Compose's "list or map" shapes. Input is already schema-valid, but the
 * helpers still check what they read, so a document that slipped past validation gives problems, not crashes.
 */
import type { KeyPath, SourceDoc, SpecProblem } from './source.js';
import type { Parsed } from './units.js';

export type Raw = Record<string, unknown>;

export function isRaw(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function rawAt(v: unknown): Raw {
  return isRaw(v) ? v : {};
}

export class Problems {
  readonly list: SpecProblem[] = [];
  constructor(private readonly doc: SourceDoc) {}

  error(path: KeyPath, message: string): void {
    this.list.push({ severity: 'error', position: this.doc.positionOf(path), path, message });
  }

  warn(path: KeyPath, message: string): void {
    this.list.push({ severity: 'warning', position: this.doc.positionOf(path), path, message });
  }

  /** An error about the key at `path` itself (e.g. a whole service), located at the key, not its value. */
  errorAtKey(path: KeyPath, message: string): void {
    this.list.push({ severity: 'error', position: this.doc.keyPositionOf(path), path, message });
  }

  /**
   * An error about entry `key` of a list-or-map value at `base` (depends_on, networks): the path names the
   * key ("services.web.depends_on.db"), the position is that of the list item or map key as written.
   */
  errorAtEntry(base: KeyPath, key: string, message: string, severity: 'error' | 'warning' = 'error'): void {
    let value: unknown = this.doc.data;
    for (const k of base) value = isRaw(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[k] : undefined;
    const index = Array.isArray(value) ? value.indexOf(key) : -1;
    const position = index >= 0 ? this.doc.positionOf([...base, index]) : this.doc.keyPositionOf([...base, key]);
    this.list.push({ severity, position, path: [...base, key], message });
  }

  /** The parsed value, or undefined after reporting "found X, expected Y" at `path`. */
  take<T>(parsed: Parsed<T>, path: KeyPath, found: unknown): T | undefined {
    if (parsed.error === undefined) return parsed.value;
    this.error(path, `found ${describe(found)}, expected ${parsed.error}`);
    return undefined;
  }

  get hasErrors(): boolean {
    return this.list.some((p) => p.severity === 'error');
  }
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Scalars as Compose stringifies them in maps (numbers and booleans as written, null as ""). */
export function scalarString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function stringList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map(scalarString);
  return [];
}

/**
 * `list_or_dict` to a map. List entries "K=V" split at the first "=" (a "K" alone is `bare(K)`, which may
 * return undefined to leave the key out); map values are stringified and `null` also goes through `bare`.
 */
export function listOrDict(
  v: unknown,
  bare: (key: string) => string | undefined,
  sep: RegExp = /=/,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = scalarString(item);
      const m = sep.exec(s);
      if (m) out[s.slice(0, m.index)] = s.slice(m.index + m[0].length);
      else {
        const value = bare(s);
        if (value !== undefined) out[s] = value;
      }
    }
  } else if (isRaw(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (val === null || val === undefined) {
        const value = bare(k);
        if (value !== undefined) out[k] = value;
      } else out[k] = scalarString(val);
    }
  }
  return out;
}

export function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] as T;
  return out;
}

export function extensionsOf(raw: Raw, skip: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (k.startsWith('x-') && !skip.includes(k)) out[k] = v;
  return out;
}
