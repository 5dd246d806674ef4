/**
 * Compose's scalar units: durations, byte sizes, booleans and numbers that may arrive as strings after
 * interpolation. Each parser returns `{ value }` or `{ error }` (the expected form, for a located message)
 * so that callers report problems instead of throwing.
 */
export type Parsed<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Go-style durations as Compose takes them: "1m30s", "10s", "500ms", "1h", "1.5s", "2h45m". A plain number
 * (YAML number or digits-only string) means seconds, as Docker's `--stop-timeout` and Compose's v2 files do.
 * Result in milliseconds (fractions of a millisecond are kept).
 */
export function parseDuration(input: unknown): Parsed<number> {
  const expected = 'a duration such as 10s, 1m30s or 500ms';
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? { value: input * 1000 } : { error: expected };
  if (typeof input !== 'string') return { error: expected };
  const s = input.trim();
  if (/^\d+(\.\d*)?$/.test(s)) return { value: Number(s) * 1000 };
  if (s === '' || !/^(\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d)((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d))*$/u.test(s)) {
    return { error: expected };
  }
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d)/gu)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  }
  return { value: total };
}

function trimZeros(n: number): string {
  return String(Number(n.toFixed(6)));
}

/** Milliseconds as Go's time.Duration prints them (what `docker compose config` shows): "1m30s", "500ms", "1h0m0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1) return `${sign}${trimZeros(abs * 1000)}µs`;
  if (abs < 1000) return `${sign}${trimZeros(abs)}ms`;
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = (abs % 60_000) / 1000;
  if (h > 0) return `${sign}${h}h${m}m${trimZeros(s)}s`;
  if (m > 0) return `${sign}${m}m${trimZeros(s)}s`;
  return `${sign}${trimZeros(s)}s`;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Byte sizes as Docker's RAMInBytes: "512m", "1g", "1.5GB", "100kb", "2KiB"; multipliers are binary (1024)
 * whatever the spelling, case-insensitive. A plain number is bytes. -1 is kept (memswap_limit: unlimited).
 */
export function parseBytes(input: unknown): Parsed<number> {
  const expected = 'a byte size such as 512m, 1g or 1048576';
  if (typeof input === 'number') return Number.isFinite(input) ? { value: Math.trunc(input) } : { error: expected };
  if (typeof input !== 'string') return { error: expected };
  const m = /^\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*([kmgtp]?)(i?b)?\s*$/i.exec(input);
  if (!m) return { error: expected };
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '' && (m[3] ?? '').toLowerCase() === 'ib') return { error: expected };
  const value = Number(m[1]) * (SIZE_UNITS[unit] as number);
  if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER) return { error: 'a byte size that is not that huge' };
  return { value: Math.trunc(value) };
}

const TRUE = new Set(['true', 'True', 'TRUE', 't', 'T', '1']);
const FALSE = new Set(['false', 'False', 'FALSE', 'f', 'F', '0']);

/** YAML booleans, or the strings Go's strconv.ParseBool accepts (interpolated values are strings). */
export function parseBool(input: unknown): Parsed<boolean> {
  if (typeof input === 'boolean') return { value: input };
  if (typeof input === 'string' && TRUE.has(input)) return { value: true };
  if (typeof input === 'string' && FALSE.has(input)) return { value: false };
  return { error: 'a boolean (true or false)' };
}

export function parseInteger(input: unknown): Parsed<number> {
  if (typeof input === 'number' && Number.isSafeInteger(input)) return { value: input };
  if (typeof input === 'string' && /^\s*-?\d+\s*$/.test(input)) {
    const n = Number(input);
    if (Number.isSafeInteger(n)) return { value: n };
  }
  return { error: 'an integer' };
}

export function parseNumber(input: unknown): Parsed<number> {
  if (typeof input === 'number' && Number.isFinite(input)) return { value: input };
  if (typeof input === 'string' && /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(input)) return { value: Number(input) };
  return { error: 'a number' };
}

/**
 * File modes: strings are octal ("1777", "0755", "0o755"); YAML numbers whose digits are all octal are read
 * as the octal digits the user wrote (`mode: 1777` means 0o1777, as in Docker's docs); others are taken as is.
 */
export function parseMode(input: unknown): Parsed<number> {
  const s = typeof input === 'number' ? String(input) : typeof input === 'string' ? input.trim().replace(/^0o/i, '') : '';
  if (/^[0-7]+$/.test(s)) return { value: parseInt(s, 8) };
  if (typeof input === 'number' && Number.isSafeInteger(input) && input >= 0) return { value: input };
  return { error: 'an octal file mode such as 1777 or 0755' };
}
