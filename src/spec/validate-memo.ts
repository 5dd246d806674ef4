/**
 * Documents already found valid, so that loading the same file again (every `up`, `down`, `scale` of a
 * project) need not load the schema validator: its standalone file and code cache were ~20 ms of a
 * ~60 ms project load on these hosts, for a verdict that only depends on the document. The caller keeps
 * the entries (the CLI: on disk, src/cli/validation-memo.ts); this module only says what an entry is.
 *
 * An entry is the document's exact JSON text, behind an identity of the validator that judged it: a
 * changed document or a rebuilt schema is simply not found, so a broken file is always validated and
 * reported as before. Only valid documents are ever recorded (errors need the located explanation).
 */

/** Where valid documents are remembered. `has`/`add` never throw. */
export interface ValidationMemo {
  has(key: string): boolean;
  add(key: string): void;
}

/** Plain JSON data whose JSON text tells it apart from any other: no NaN/Infinity, no non-plain objects. */
function plainJson(v: unknown, depth: number): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || depth > 256) return false;
  if (Array.isArray(v)) return v.every((x) => plainJson(x, depth + 1));
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k of Object.keys(v)) if (!plainJson((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

/** The memo key of `data` judged by `validatorId`; undefined when the data cannot be keyed exactly. */
export function memoKey(validatorId: string, data: unknown): string | undefined {
  return plainJson(data, 0) ? `${validatorId}\n${JSON.stringify(data)}` : undefined;
}

/**
 * A short, cheap name for a key (FNV-1a over at most ~4096 evenly spread characters and the length):
 * keys that share it only replace each other, the stored key itself is compared in full.
 */
export function memoBucket(key: string, buckets = 256): string {
  let h = 0x811c9dc5 ^ key.length;
  const step = Math.max(1, Math.ceil(key.length / 4096));
  for (let i = 0; i < key.length; i += step) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % buckets).toString(16).padStart(2, '0');
}
