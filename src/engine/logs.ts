/**
 * `logs`: reads the containers' CRI-format log files (`<time> <stdout|stderr> <F|P> <text>`, P = partial line)
 * directly. With follow, new bytes and new containers (a restart makes a fresh container) are picked up by
 * polling, until the signal aborts. A restart by policy moves the old container's log into the new one
 * (one log per slot, as Docker's): a cursor goes on where the old container's cursor on that file was.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ContainerInfo } from '../runtime/api.js';
import type { LogLine, LogsOptions } from '../api.js';
import { byteOrder } from '../order.js';

interface Cursor {
  pos: number;
  rest: string;
  partial: string;
  /** dev:ino of the file read, and its last bytes before pos: recognizes the same log under a new container. */
  file?: string;
  last?: Buffer;
}

/** Cursors by the file they read (dev:ino). */
type Files = Map<string, Cursor>;

const newCursor = (): Cursor => ({ pos: 0, rest: '', partial: '' });

/** Parse complete lines of a CRI log; partial (P) records are joined with the next record of the same stream. */
export function parseCri(text: string, c: ContainerInfo, cur: Pick<Cursor, 'partial'>): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/.exec(raw);
    if (!m) continue;
    const [, time = '', stream, tag, body = ''] = m;
    if (tag === 'P') {
      cur.partial += body;
      continue;
    }
    out.push({ container: c.name, service: c.service, number: c.number, stream: stream === 'stderr' ? 'stderr' : 'stdout', time, text: cur.partial + body });
    cur.partial = '';
  }
  return out;
}

/** Same bytes at `[pos - last.length, pos)` of the open file: the file another cursor read up to pos. */
async function continues(fh: FileHandle, prev: Cursor, size: number): Promise<boolean> {
  const last = prev.last;
  if (!last || prev.pos > size || last.length > prev.pos) return false;
  const buf = Buffer.alloc(last.length);
  const { bytesRead } = await fh.read(buf, 0, buf.length, prev.pos - last.length);
  return bytesRead === last.length && buf.equals(last);
}

async function readFrom(path: string, cur: Cursor, files: Files): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const st = await fh.stat({ bigint: true });
    const size = Number(st.size);
    const key = `${st.dev}:${st.ino}`;
    if (cur.file !== key) {
      // the log carried over from the slot's previous container: its lines were shown already (an
      // inode number reused by a fresh file does not hold the same bytes at that offset)
      const prev = files.get(key);
      if (prev && prev !== cur && cur.pos === 0 && (await continues(fh, prev, size))) {
        Object.assign(cur, { pos: prev.pos, rest: prev.rest, partial: prev.partial, last: prev.last });
      }
      cur.file = key;
      files.set(key, cur);
    }
    if (size < cur.pos) cur.pos = 0;
    if (size === cur.pos) return '';
    const buf = Buffer.alloc(size - cur.pos);
    const { bytesRead } = await fh.read(buf, 0, buf.length, cur.pos);
    cur.pos += bytesRead;
    const got = buf.subarray(0, bytesRead);
    cur.last = Buffer.concat([cur.last ?? Buffer.alloc(0), got]).subarray(-256);
    const text = cur.rest + got.toString('utf8');
    const cut = text.lastIndexOf('\n');
    cur.rest = cut < 0 ? text : text.slice(cut + 1);
    return cut < 0 ? '' : text.slice(0, cut + 1);
  } finally {
    await fh.close();
  }
}

/** A container as `list` gives it; `restarting`: exited, but its restart policy will start the slot again. */
type Listed = ContainerInfo & { restarting?: boolean };

/** Polls (of 150 ms) with nothing running before `endWhenStopped` ends a follow: restarts leave short gaps. */
const IDLE_POLLS = 14;

export async function streamLogs(
  list: () => Promise<Listed[]>,
  opts: LogsOptions,
  onLine: (l: LogLine) => void,
  signal?: AbortSignal,
): Promise<void> {
  const cursors = new Map<string, Cursor>();
  const files: Files = new Map();
  const wanted = (c: ContainerInfo): boolean =>
    (opts.services.length === 0 || opts.services.includes(c.service)) && (opts.index === undefined || c.number === opts.index);
  const keep = (l: LogLine): boolean => {
    if (opts.sinceMs === undefined && opts.untilMs === undefined) return true;
    const t = Date.parse(l.time);
    return (opts.sinceMs === undefined || t >= opts.sinceMs) && (opts.untilMs === undefined || t < opts.untilMs);
  };
  const first: LogLine[] = [];
  for (const c of (await list()).filter(wanted).sort((a, b) => byteOrder(a.name, b.name))) {
    const cur = newCursor();
    cursors.set(c.id, cur);
    let lines = parseCri(await readFrom(c.logPath, cur, files), c, cur).filter(keep);
    if (opts.tail !== undefined) lines = opts.tail <= 0 ? [] : lines.slice(-opts.tail);
    first.push(...lines);
  }
  first.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  for (const l of first) onLine(l);
  if (!opts.follow) return;
  let round = 0;
  let known: Listed[] = [];
  let idle = 0;
  while (!signal?.aborted) {
    if (round++ % 4 === 0) known = (await list().catch(() => known)).filter(wanted);
    // as `docker compose logs -f`: done once every container of the selection has stopped for good
    idle = known.length > 0 && known.every((c) => c.status !== 'running' && c.status !== 'created' && !c.restarting) ? idle + 1 : 0;
    if (opts.endWhenStopped && idle > IDLE_POLLS) return; // their last lines were read by the polls since
    for (const c of known) {
      let cur = cursors.get(c.id);
      if (!cur) {
        cur = newCursor();
        cursors.set(c.id, cur);
      }
      for (const l of parseCri(await readFrom(c.logPath, cur, files), c, cur)) if (keep(l)) onLine(l);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
