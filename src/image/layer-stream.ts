/**
 * One layer blob, streamed: bytes in → (count + sha256 of the blob) → gunzip / zstd / plain, chosen by magic
 * → (count + sha256 = diff_id, bounded) → tar reader → LayerApplier into a directory.
 * The caller unpacks into a private temp dir and renames it into place only after the digests check out,
 * so unverified content is never used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { TscError } from '../errors.js';
import { ByteSource } from './byte-source.js';
import { TarReader } from './tar-reader.js';
import { LayerApplier, type UnpackLimits } from './unpack.js';

export interface LayerStreamLimits extends UnpackLimits {
  /** Refuse a layer whose uncompressed tar is larger than this (default 64 GiB; env TSCOMPOSE_MAX_LAYER_BYTES). */
  maxBytes?: number;
  /** Refuse a blob longer than this (the descriptor's size when known). */
  maxCompressedBytes?: number;
}

export interface LayerStreamResult {
  /** sha256:… of the blob as received. */
  digest: string;
  compressedSize: number;
  /** sha256:… of the uncompressed tar. */
  diffId: string;
  size: number;
  entries: number;
  /** Logical size of the files. */
  fileBytes: number;
  compression: 'gzip' | 'zstd' | 'none';
}

/**
 * The uncompressed size a layer may reach in `dir`: the configured limit, but never more than the free
 * space of its file system less a reserve, so a compression bomb is refused before it fills the disk
 * that other containers (and other users of the machine) need.
 */
export function layerByteLimit(dir: string, configured: number): number {
  let free = Number.MAX_SAFE_INTEGER;
  try {
    const st = fs.statfsSync(dir);
    free = st.bavail * st.bsize;
  } catch {
    // statfs unsupported: the configured limit alone
  }
  return Math.min(configured, free - Math.min(1024 ** 3, Math.floor(free / 10)));
}

export function defaultMaxLayerBytes(): number {
  const v = Number(process.env.TSCOMPOSE_MAX_LAYER_BYTES);
  return Number.isSafeInteger(v) && v > 0 ? v : 64 * 1024 ** 3;
}

interface Meter {
  n: number;
  hash: ReturnType<typeof createHash>;
  /** The source itself failed (a connection reset): retrying may help, unlike a bad blob. */
  err?: unknown;
}

async function* measure(src: AsyncIterable<Buffer>, acc: Meter, limit: number, what: string): AsyncGenerator<Buffer> {
  let own = false;
  try {
    for await (const c of src) {
      acc.n += c.length;
      if (acc.n > limit) {
        own = true;
        throw new TscError(what === 'layer blob' ? 'REGISTRY' : 'IMAGE', `${what} is larger than the limit of ${limit} bytes; refused${what === 'layer blob' ? ' (more than its descriptor says)' : ' (compression bomb? the limit is TSCOMPOSE_MAX_LAYER_BYTES or the free disk space less a reserve)'}`);
      }
      acc.hash.update(c);
      yield c;
    }
  } catch (e) {
    if (!own) acc.err ??= e;
    throw e;
  }
}

/**
 * Feed `src` into a transform stream while iterating its output. When the consumer stops early (an unpack
 * error), the feeder is aborted and the transform destroyed, so nothing is left waiting for a drain.
 */
async function* through(src: AsyncIterator<Buffer>, first: Buffer, t: zlib.Gunzip): AsyncGenerator<Buffer> {
  const ac = new AbortController();
  const feed = (async () => {
    try {
      let chunk: Buffer | undefined = first;
      while (chunk) {
        if (!t.write(chunk)) await once(t, 'drain', { signal: ac.signal });
        const r = await src.next();
        chunk = r.done ? undefined : r.value;
      }
      t.end();
    } catch (e) {
      if (!ac.signal.aborted) t.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  })();
  try {
    for await (const c of t) yield c as Buffer;
  } catch (e) {
    throw e instanceof TscError ? e : new TscError('IMAGE', `layer decompression failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    ac.abort();
    t.destroy();
    await feed;
  }
}

interface Fzstd {
  Decompress: new (ondata: (chunk: Uint8Array, final: boolean) => void) => { push(chunk: Uint8Array, final?: boolean): void };
}

async function* unzstd(src: AsyncIterator<Buffer>, first: Buffer): AsyncGenerator<Buffer> {
  const fzstd = createRequire(import.meta.url)('fzstd') as Fzstd;
  let out: Buffer[] = [];
  const d = new fzstd.Decompress((c) => out.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  let chunk: Buffer | undefined = first;
  try {
    while (chunk) {
      const r = await src.next();
      const next = r.done ? undefined : r.value;
      d.push(chunk, next === undefined);
      chunk = next;
      const ready = out;
      out = [];
      yield* ready;
    }
  } catch (e) {
    throw e instanceof TscError ? e : new TscError('IMAGE', `zstd layer decompression failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Size and digest the blob must have (registry descriptors); checked before the result is returned. */
export interface BlobExpectation {
  digest?: string;
  size?: number;
}

function checkBlob(size: number, digest: string, expect: BlobExpectation): void {
  if (expect.size !== undefined && size !== expect.size)
    throw new TscError('REGISTRY', `blob ${expect.digest ?? ''} has ${size} bytes, expected ${expect.size}`);
  if (expect.digest !== undefined && digest !== expect.digest)
    throw new TscError('REGISTRY', `blob digest mismatch: expected ${expect.digest}, got ${digest}`);
}

export async function unpackLayerStream(
  src: AsyncIterable<Buffer>, dir: string, limits: LayerStreamLimits = {}, expect: BlobExpectation = {},
): Promise<LayerStreamResult> {
  const blob: Meter = { n: 0, hash: createHash('sha256') };
  const tar: Meter = { n: 0, hash: createHash('sha256') };
  const it = measure(src, blob, expect.size ?? limits.maxCompressedBytes ?? Number.MAX_SAFE_INTEGER, 'layer blob')[Symbol.asyncIterator]();
  const first = Buffer.concat(await collectUpTo(it, 4));
  let compression: LayerStreamResult['compression'] = 'none';
  let plain: AsyncIterable<Buffer>;
  if (first[0] === 0x1f && first[1] === 0x8b) {
    compression = 'gzip';
    plain = through(it, first, zlib.createGunzip({ chunkSize: 256 * 1024 }));
  } else if (first.length >= 4 && first.readUInt32LE(0) === 0xfd2fb528) {
    compression = 'zstd';
    plain = unzstd(it, first);
  } else {
    plain = (async function* () {
      if (first.length) yield first;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    })();
  }
  const source = new ByteSource(measure(plain, tar, layerByteLimit(dir, limits.maxBytes ?? defaultMaxLayerBytes()), 'uncompressed layer'));
  const reader = new TarReader(source);
  let stats;
  try {
    stats = await new LayerApplier(dir, limits).apply(reader);
    // the whole blob must have been read (trailing bytes count for its digest)
    for (let r = await it.next(); !r.done; r = await it.next());
  } catch (e) {
    if (blob.err !== undefined) {
      const why = blob.err instanceof Error ? blob.err.message : String(blob.err);
      throw new TscError('REGISTRY', `layer download interrupted: ${why}`, { cause: blob.err });
    }
    // A blob that does not match its digest is reported as such, whatever the unpacker made of it.
    if (expect.digest !== undefined) {
      try {
        for (let r = await it.next(); !r.done; r = await it.next());
      } catch {
        throw e; // the source itself failed (connection lost): that is the error
      }
      checkBlob(blob.n, `sha256:${blob.hash.digest('hex')}`, expect);
    }
    throw e;
  } finally {
    // stop the decompressor and close the input (a file or an HTTP response) whatever happened
    await source.close().catch(() => undefined);
    await it.return?.(undefined).catch(() => undefined);
  }
  const digest = `sha256:${blob.hash.digest('hex')}`;
  checkBlob(blob.n, digest, expect);
  return {
    digest,
    compressedSize: blob.n,
    diffId: `sha256:${tar.hash.digest('hex')}`,
    size: tar.n,
    entries: stats.entries,
    fileBytes: stats.bytes,
    compression,
  };
}

async function collectUpTo(it: AsyncIterator<Buffer>, n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
    got += r.value.length;
  }
  return out;
}
