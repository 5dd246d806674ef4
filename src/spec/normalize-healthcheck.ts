/**
 * `healthcheck:` as Docker reads it: `test` is ["CMD", argv...], ["CMD-SHELL", "command"], ["NONE"], or a
 * string (shell form). `disable: true` or ["NONE"] turns off the image's check. Timings alone (no test)
 * override the image's timings and keep its test. Defaults: interval 30s, timeout 30s, retries 3,
 * start_period 0s, start_interval 5s.
 */
import type { Healthcheck, HealthcheckTest } from './model.js';
import type { KeyPath } from './source.js';
import { rawAt, scalarString, type Problems } from './normalize-util.js';
import { parseBool, parseDuration, parseInteger } from './units.js';

function parseTest(v: unknown, path: KeyPath, p: Problems): HealthcheckTest | 'none' | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : { kind: 'shell', command: v };
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const [head, ...rest] = v.map(scalarString);
  if (head === 'NONE') return 'none';
  if (head === 'CMD' && rest.length > 0) return { kind: 'cmd', argv: rest };
  if (head === 'CMD-SHELL' && rest.length > 0) return { kind: 'shell', command: rest.join(' ') };
  p.error(path, `found ${JSON.stringify(v)}, expected ["CMD", "prog", "arg"...], ["CMD-SHELL", "command"] or ["NONE"]`);
  return undefined;
}

export function normalizeHealthcheck(v: unknown, path: KeyPath, p: Problems): Healthcheck | undefined {
  if (v === undefined || v === null) return undefined;
  const r = rawAt(v);
  if (r['disable'] !== undefined && p.take(parseBool(r['disable']), [...path, 'disable'], r['disable'])) {
    const t = r['test'];
    const testIsNone = Array.isArray(t) && t[0] === 'NONE';
    if (t !== undefined && t !== null && !testIsNone) p.warn([...path, 'test'], 'ignored because healthcheck.disable is true');
    return { kind: 'none' };
  }
  const test = parseTest(r['test'], [...path, 'test'], p);
  if (test === 'none') return { kind: 'none' };
  const dur = (key: string, dflt: number): number => {
    if (r[key] === undefined || r[key] === null) return dflt;
    return p.take(parseDuration(r[key]), [...path, key], r[key]) ?? dflt;
  };
  const retries = r['retries'] === undefined ? 3 : (p.take(parseInteger(r['retries']), [...path, 'retries'], r['retries']) ?? 3);
  const check: Healthcheck = {
    kind: 'check',
    intervalMs: dur('interval', 30_000),
    timeoutMs: dur('timeout', 30_000),
    retries,
    startPeriodMs: dur('start_period', 0),
    startIntervalMs: dur('start_interval', 5_000),
  };
  if (test) check.test = test;
  return check;
}
