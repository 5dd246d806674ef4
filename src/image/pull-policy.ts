/**
 * Compose's refresh pull policies (pure): `daily`, `weekly` and `every_<duration>` (Go-style duration,
 * plus d and w: every_12h, every_1h30m, every_2d) mean "pull again when the local tag is older than that".
 * The age is the reference's last tag time (set by pull, load and import), as Compose uses LastTagTime.
 */
import { TscError } from '../errors.js';
import { parseDuration } from '../spec/units.js';

const DAY = 24 * 3600 * 1000;

/** The refresh interval of a policy in ms, or undefined for always/missing/never/build. */
export function refreshIntervalMs(policy: string): number | undefined {
  if (policy === 'daily') return DAY;
  if (policy === 'weekly') return 7 * DAY;
  if (!policy.startsWith('every_')) return undefined;
  let spec = policy.slice('every_'.length);
  let weeks = 0;
  const w = /^(\d+)w(.*)$/.exec(spec);
  if (w) {
    weeks = Number(w[1]);
    spec = w[2] ?? '';
  }
  const d = spec === '' && weeks > 0 ? { value: 0 } : parseDuration(spec);
  if (d.value === undefined || typeof spec !== 'string' || /^\d+(\.\d*)?$/.test(spec)) throw new TscError('USAGE', `invalid pull_policy ${JSON.stringify(policy)}: want every_<duration> such as every_12h or every_2d`);
  const ms = weeks * 7 * DAY + d.value;
  if (ms <= 0) throw new TscError('USAGE', `invalid pull_policy ${JSON.stringify(policy)}: the duration must be positive`);
  return ms;
}

/** Whether a reference last tagged at `taggedAtMs` (undefined: never recorded) is due for a pull. */
export function refreshDue(taggedAtMs: number | undefined, intervalMs: number, now = Date.now()): boolean {
  return taggedAtMs === undefined || now - taggedAtMs >= intervalMs;
}
