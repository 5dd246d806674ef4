/** Prints log lines as Compose does: `service-N  | text`, prefixes padded and colored per container on a TTY. */
import type { LogLine } from '../api.js';

const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface PrintOptions {
  prefix: boolean;
  timestamps: boolean;
  color: boolean;
  /** Longest `service-N` of the containers shown, so every prefix lines up from the first line. */
  width?: number;
}

/** `--ansi` / COMPOSE_ANSI: never, always, or auto (colors on a terminal). */
export function ansiMode(env = process.env): 'never' | 'always' | 'auto' {
  const m = env.COMPOSE_ANSI;
  return m === 'never' || m === 'always' ? m : 'auto';
}

/** Whether prefixes get colors: not with --no-color or --ansi never; always with --ansi always; else on a TTY. */
export function wantColor(noColorFlag: boolean, isTTY: boolean, env = process.env): boolean {
  const m = ansiMode(env);
  return !noColorFlag && m !== 'never' && (m === 'always' || isTTY);
}

export function makePrinter(opts: PrintOptions): (l: LogLine) => void {
  if (ansiMode() === 'never') opts = { ...opts, color: false };
  const colorOf = new Map<string, number>();
  let width = opts.width ?? 0;
  return (l) => {
    const tag = `${l.service}-${l.number}`;
    width = Math.max(width, tag.length);
    let prefix = '';
    if (opts.prefix) {
      if (!colorOf.has(tag)) colorOf.set(tag, COLORS[colorOf.size % COLORS.length] ?? 36);
      const p = `${tag.padEnd(width)}  | `;
      prefix = opts.color ? `\u001b[${colorOf.get(tag)}m${p}\u001b[0m` : p;
    }
    const ts = opts.timestamps ? `${l.time} ` : '';
    // as Compose: a container's stdout and stderr both go to our stdout (docker logs splits them; compose does not)
    process.stdout.write(`${prefix}${ts}${l.text}\n`);
  };
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("10m", "1h30m", "1.5h", "300ms"), in ms; undefined when not one. */
export function parseGoDuration(v: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(v);
  if (!m) return v === '0' ? 0 : undefined;
  let ms = 0;
  for (const part of v.slice(m[1]?.length ?? 0).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) ms += Number(part[1]) * (UNIT_MS[part[2] ?? 's'] ?? 0);
  return m[1] === '-' ? -ms : ms;
}

/**
 * `--since`/`--until` as Docker's timetypes.GetTimestamp: RFC 3339 or a date (with or without a time or
 * zone), a Unix timestamp (with fractional seconds), or a Go duration before now ("10m", "1h30m", "1.5h").
 */
export function parseSince(v: string, now = Date.now()): number | undefined {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = parseGoDuration(v);
  if (d !== undefined) return now - d;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}
