/** Minimal DNS wire format (RFC 1035): parse one question, build answers. Pure; unit-tested. */

export interface Question {
  id: number;
  name: string; // lower case, no trailing dot
  type: number;
  cls: number;
  /** Offset just after the question section (the question bytes are echoed back). */
  end: number;
  rd: boolean;
}

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const RCODE_NXDOMAIN = 3;
export const RCODE_SERVFAIL = 2;

export function parseQuery(msg: Buffer): Question | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response
  if (msg.readUInt16BE(4) !== 1) return undefined; // exactly one question
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if (len > 63 || off + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), cls: msg.readUInt16BE(off + 2), end: off + 4, rd: (flags & 0x0100) !== 0 };
}

/** A response to `query` with A records for `addresses` (empty + rcode 0 = NODATA). */
export function buildResponse(query: Buffer, q: Question, addresses: string[], rcode = 0, ttl = 5): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (q.rd ? 0x0100 : 0) | 0x0080 | (rcode & 15), 2); // QR AA RD RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const question = query.subarray(12, q.end);
  const answers = addresses.map((ip) => {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xc00c, 0); // name: pointer to the question
    a.writeUInt16BE(TYPE_A, 2);
    a.writeUInt16BE(1, 4);
    a.writeUInt32BE(ttl, 6);
    a.writeUInt16BE(4, 10);
    ip.split('.').forEach((o, i) => a.writeUInt8(Number(o), 12 + i));
    return a;
  });
  return Buffer.concat([header, question, ...answers]);
}

/** Encode a query (for tests and the forwarder's own checks). */
export function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const parts = name.split('.').filter(Boolean);
  const labels = Buffer.concat(parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])));
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([h, labels, tail]);
}

/** A records of a response (for tests). */
export function parseAnswers(msg: Buffer): { rcode: number; addresses: string[] } {
  const rcode = msg.readUInt16BE(2) & 15;
  const an = msg.readUInt16BE(6);
  let off = 12;
  while (msg[off] !== 0) off += 1 + msg[off]!;
  off += 5;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    if ((msg[off]! & 0xc0) === 0xc0) off += 2;
    else {
      while (msg[off] !== 0) off += 1 + msg[off]!;
      off++;
    }
    const type = msg.readUInt16BE(off);
    const rdlen = msg.readUInt16BE(off + 8);
    if (type === TYPE_A && rdlen === 4) addresses.push([...msg.subarray(off + 10, off + 14)].join('.'));
    off += 10 + rdlen;
  }
  return { rcode, addresses };
}
