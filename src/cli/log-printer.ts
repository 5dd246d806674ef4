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

export function makePrinter(opts: PrintOptions): (l: LogLine) => void {
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

/** `--since`: RFC 3339 / date, a Unix timestamp, or a relative duration ("10m", "1h30m", "45s"). */
export function parseSince(v: string, now = Date.now()): number | undefined {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const rel = /^((\d+)h)?((\d+)m)?((\d+)s)?$/.exec(v);
  if (rel && v !== '') return now - ((Number(rel[2] ?? 0) * 60 + Number(rel[4] ?? 0)) * 60 + Number(rel[6] ?? 0)) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}
