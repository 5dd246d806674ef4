/**
 * A tiny tar writer for crafting hostile and unusual layer tarballs in tests (names with `..`, planted
 * symlinks, hardlinks, whiteouts, PAX records, GNU long names, sparse maps). Entries are written exactly
 * as given: nothing is cleaned or checked. `tarStream` yields chunks lazily (for 100k-entry archives).
 */
export interface TEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'gnu-sparse';
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** PAX records written in an `x` header before the entry. */
  pax?: Record<string, string>;
  /** Write the name as a GNU `L` long-name entry instead of PAX. */
  gnuLongName?: boolean;
  /** Override the header's size field (data is written as given). */
  size?: number;
  /** For type gnu-sparse: the old GNU sparse map (max 4 entries) and real size. */
  sparse?: { realSize: number; map: Array<[number, number]> };
}

const FLAGS: Record<NonNullable<TEntry['type']>, string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', 'gnu-sparse': 'S',
};

function octal(b: Buffer, off: number, len: number, v: number): void {
  b.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
}

export function header(e: TEntry, name: string, flag: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 100, 'utf8');
  octal(h, 100, 8, e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
  octal(h, 108, 8, e.uid ?? 0);
  octal(h, 116, 8, e.gid ?? 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, e.mtime ?? 1_700_000_000);
  h[156] = flag.charCodeAt(0);
  h.write((e.linkname ?? '').slice(0, 100), 157, 100, 'utf8');
  if (flag === 'S') {
    h.write('ustar  \0', 257, 8, 'latin1');
    const sp = e.sparse!;
    sp.map.slice(0, 4).forEach(([o, l], i) => {
      octal(h, 386 + i * 24, 12, o);
      octal(h, 398 + i * 24, 12, l);
    });
    octal(h, 483, 12, sp.realSize);
  } else {
    h.write('ustar\0', 257, 6, 'latin1');
    h.write('00', 263, 2, 'latin1');
  }
  octal(h, 329, 8, e.devmajor ?? 0);
  octal(h, 337, 8, e.devminor ?? 0);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

function paxRecord(k: string, v: string): string {
  const body = ` ${k}=${v}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

export function* entryChunks(e: TEntry): Generator<Buffer> {
  const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data ?? Buffer.alloc(0);
  const pax: Record<string, string> = { ...e.pax };
  let name = e.name;
  if (Buffer.byteLength(name) > 100) {
    if (e.gnuLongName) {
      const n = Buffer.from(`${name}\0`);
      yield header({ name: '././@LongLink' }, '././@LongLink', 'L', n.length);
      yield n;
      yield pad(n.length);
    } else pax.path = name;
    name = name.slice(0, 100);
  }
  if (Object.keys(pax).length > 0) {
    const body = Buffer.from(Object.entries(pax).map(([k, v]) => paxRecord(k, v)).join(''));
    yield header({ name: 'PaxHeader' }, 'PaxHeader', 'x', body.length);
    yield body;
    yield pad(body.length);
  }
  yield header(e, name, FLAGS[e.type ?? 'file'], e.size ?? data.length);
  if (data.length) {
    yield data;
    yield pad(data.length);
  }
}

export function* tarStream(entries: Iterable<TEntry>, { end = true } = {}): Generator<Buffer> {
  for (const e of entries) yield* entryChunks(e);
  if (end) yield Buffer.alloc(1024);
}

export function tarBuffer(entries: TEntry[]): Buffer {
  return Buffer.concat([...tarStream(entries)]);
}

/** An async iterable over a sync generator, batching small chunks (what the unpacker consumes). */
export async function* batched(gen: Iterable<Buffer>, size = 1 << 20): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let n = 0;
  for (const c of gen) {
    parts.push(c);
    n += c.length;
    if (n >= size) {
      yield Buffer.concat(parts, n);
      parts = [];
      n = 0;
    }
  }
  if (n) yield Buffer.concat(parts, n);
}
