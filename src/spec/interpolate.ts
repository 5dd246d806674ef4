/**
 * Compose variable substitution in string values: `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`,
 * `${VAR?e}`, `${VAR:+a}`, `${VAR+a}`, nesting inside the default/alternative, and `$$` for a literal `$`.
 * As in compose-go, a `$` that starts neither a name nor `{` is kept literally (`echo $1`), while a malformed
 * `${...}` is an error. Pure: the environment comes in as a lookup function.
 */
export type Lookup = (name: string) => string | undefined;
/** Told about `$VAR` / `${VAR}` without a default whose variable is unset (Compose warns and uses ""). */
export type OnUnset = (name: string) => void;

export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly kind: 'missing' | 'syntax',
  ) {
    super(message);
  }
}

const NAME_START = /[A-Za-z_]/;
/** Nesting of `${A:-${B:-...}}` beyond this is refused (no stack overflow on hostile input). */
const MAX_NESTING = 64;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Index of the `}` closing a `${` whose body starts at `from`, or -1. */
export function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '$' && s[i + 1] === '$') i++;
    else if (c === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function braced(body: string, lookup: Lookup, whole: string, onUnset: OnUnset | undefined, depth: number): string {
  let n = 0;
  if (!NAME_START.test(body[0] ?? '')) throw new InterpolationError(`invalid interpolation format for "${whole}"`, 'syntax');
  while (n < body.length && NAME_CHAR.test(body[n] as string)) n++;
  const name = body.slice(0, n);
  const value = lookup(name);
  if (n === body.length) {
    if (value === undefined) onUnset?.(name);
    return value ?? '';
  }
  const colon = body[n] === ':';
  const op = body[colon ? n + 1 : n];
  const word = body.slice(colon ? n + 2 : n + 1);
  const unset = value === undefined || (colon && value === '');
  switch (op) {
    case '-':
      return unset ? expand(word, lookup, onUnset, depth + 1) : (value as string);
    case '+':
      return unset ? '' : expand(word, lookup, onUnset, depth + 1);
    case '?':
      if (unset) {
        const msg = expand(word, lookup, undefined, depth + 1);
        throw new InterpolationError(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`, 'missing');
      }
      return value as string;
    default:
      throw new InterpolationError(`invalid interpolation format for "${whole}"`, 'syntax');
  }
}

export function interpolate(s: string, lookup: Lookup, onUnset?: OnUnset): string {
  return expand(s, lookup, onUnset, 0);
}

function expand(s: string, lookup: Lookup, onUnset: OnUnset | undefined, depth: number): string {
  if (!s.includes('$')) return s;
  if (depth > MAX_NESTING) throw new InterpolationError(`interpolation nested deeper than ${MAX_NESTING} levels`, 'syntax');
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(s, i + 2);
      if (end < 0) throw new InterpolationError(`invalid interpolation format for "${s}": missing closing brace`, 'syntax');
      out += braced(s.slice(i + 2, end), lookup, s.slice(i, end + 1), onUnset, depth);
      i = end + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < s.length && NAME_CHAR.test(s[j] as string)) j++;
      const name = s.slice(i + 1, j);
      const value = lookup(name);
      if (value === undefined) onUnset?.(name);
      out += value ?? '';
      i = j;
    } else {
      out += '$';
      i++;
    }
  }
  return out;
}
