/**
 * Compose's `.env` / `env_file` syntax: `KEY=VALUE` lines, `export ` prefix, `#` comments (whole line, or after
 * whitespace in an unquoted value), single quotes literal, double quotes with escapes (\n \t \r \\ \" \$) and
 * multi-line values, `${VAR}` interpolation in unquoted and double-quoted values (earlier keys of the same
 * file first, then `outer`), `KEY=` empty, and a bare `KEY` taking its value from `outer` (left out if unset).
 */
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';

export interface EnvLine {
  key: string;
  value: string;
  line: number;
}

export class EnvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', $: '$$' };

export function parseEnv(text: string, outer: Lookup = () => undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const lookup: Lookup = (k) => (Object.prototype.hasOwnProperty.call(out, k) ? out[k] : outer(k));
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let pos = 0;
  let lineNo = 1;
  while (pos < src.length) {
    let eol = src.indexOf('\n', pos);
    if (eol < 0) eol = src.length;
    const raw = src.slice(pos, eol);
    const startLine = lineNo;
    let line = raw.trim();
    pos = eol + 1;
    lineNo++;
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ') || line.startsWith('export\t')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!KEY.test(key)) throw new EnvSyntaxError(`invalid variable name ${JSON.stringify(key)}`, startLine, 1);
    if (eq < 0) {
      const v = outer(key);
      if (v !== undefined) out[key] = v;
      continue;
    }
    let rest = line.slice(eq + 1).trimStart();
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      // a quoted value may run over several lines: gather until the closing quote
      let body = rest.slice(1);
      let close = findClose(body, quote);
      while (close < 0 && pos < src.length) {
        let e2 = src.indexOf('\n', pos);
        if (e2 < 0) e2 = src.length;
        body += '\n' + src.slice(pos, e2);
        pos = e2 + 1;
        lineNo++;
        close = findClose(body, quote);
      }
      if (close < 0) throw new EnvSyntaxError(`unterminated quoted value for ${key}`, startLine, eq + 2);
      const inner = body.slice(0, close);
      const after = body.slice(close + 1).trim();
      if (after !== '' && !after.startsWith('#')) {
        throw new EnvSyntaxError(`unexpected characters after the quoted value of ${key}`, startLine, eq + 2);
      }
      out[key] = quote === "'" ? inner : expand(unescape(inner), lookup, startLine);
      continue;
    }
    const hash = rest.search(/\s#/);
    if (hash >= 0) rest = rest.slice(0, hash);
    out[key] = expand(rest.trim(), lookup, startLine);
  }
  return out;
}

/**
 * `env_file: {format: raw}`: `docker run --env-file` syntax. Each line `KEY=VALUE` with VALUE exactly as
 * written (no quotes removed, no `#` comments after it, no interpolation); whole-line `#` comments and blank
 * lines skipped; a bare `KEY` takes its value from `outer` (left out if unset).
 */
export function parseRawEnv(text: string, outer: Lookup = () => undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '' || /\s/.test(key)) throw new EnvSyntaxError(`invalid variable name ${JSON.stringify(key)}`, i + 1, 1);
    if (eq >= 0) out[key] = line.slice(eq + 1);
    else {
      const v = outer(key);
      if (v !== undefined) out[key] = v;
    }
  });
  return out;
}

function findClose(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === '\\') i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);
}

function expand(value: string, lookup: Lookup, line: number): string {
  try {
    return interpolate(value, lookup);
  } catch (e) {
    if (e instanceof InterpolationError) throw new EnvSyntaxError(e.message, line, 1);
    throw e;
  }
}
