/**
 * Pull-style reads over an async iterable of Buffers (a stream): exact reads for headers, chunked reads
 * for data (slices of the input, no copies), skips, and draining the rest.
 */
import { TscError } from '../errors.js';

export class ByteSource {
  private readonly it: AsyncIterator<Buffer>;
  private cur: Buffer = Buffer.alloc(0);
  private eof = false;

  constructor(src: AsyncIterable<Buffer | Uint8Array | string>) {
    const inner = src[Symbol.asyncIterator]();
    this.it = {
      next: async () => {
        const r = await inner.next();
        if (r.done) return r;
        const v = r.value;
        return { done: false, value: typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
      },
      return: async () => {
        await inner.return?.();
        return { done: true, value: undefined };
      },
    };
  }

  private async fill(): Promise<boolean> {
    while (this.cur.length === 0) {
      if (this.eof) return false;
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        return false;
      }
      this.cur = r.value;
    }
    return true;
  }

  /** Up to `max` bytes (fewer at a chunk boundary); empty at end of input. */
  async readChunk(max: number): Promise<Buffer> {
    if (!(await this.fill())) return Buffer.alloc(0);
    const n = Math.min(max, this.cur.length);
    const out = this.cur.subarray(0, n);
    this.cur = this.cur.subarray(n);
    return out;
  }

  /** Exactly `n` bytes, or fewer only at end of input. */
  async readUpTo(n: number): Promise<Buffer> {
    if (!(await this.fill())) return Buffer.alloc(0);
    if (this.cur.length >= n) return this.readChunk(n);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const c = await this.readChunk(n - got);
      if (c.length === 0) break;
      parts.push(c);
      got += c.length;
    }
    return Buffer.concat(parts, got);
  }

  async readExact(n: number): Promise<Buffer> {
    const b = await this.readUpTo(n);
    if (b.length !== n) throw new TscError('IMAGE', 'invalid tar archive: unexpected end of data');
    return b;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const c = await this.readChunk(left);
      if (c.length === 0) throw new TscError('IMAGE', 'invalid tar archive: unexpected end of data');
      left -= c.length;
    }
  }

  /** Read and discard everything that is left. */
  async drain(): Promise<void> {
    this.cur = Buffer.alloc(0);
    while (await this.fill()) this.cur = Buffer.alloc(0);
  }

  /** Stop reading: the underlying iterator is returned (a stream is destroyed). */
  async close(): Promise<void> {
    this.cur = Buffer.alloc(0);
    this.eof = true;
    await this.it.return?.();
  }
}
