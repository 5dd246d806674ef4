/**
 * The embedded DNS server on loopback: the same answers over UDP and over TCP (RFC 7766 length framing,
 * several queries on one connection), NXDOMAIN for unknown names when the client may not forward.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsServer } from '../../src/network/dns.js';
import { buildQuery, parseAnswers } from '../../src/network/dns-wire.js';

const names: Record<string, string[]> = { web: ['10.9.0.7'], 'db.alias': ['10.9.0.8', '10.9.0.9'] };
const server = new DnsServer({ lookup: (_c, n) => names[n], mayForward: () => false });
let port = 0;

/** A port free for both UDP and TCP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (;;) {
    const u = dgram.createSocket('udp4');
    const p = await new Promise<number>((r) => u.bind(0, '127.0.0.1', () => r(u.address().port)));
    u.close();
    const ok = await new Promise<boolean>((r) => {
      const s = net.createServer();
      s.once('error', () => r(false));
      s.listen(p, '127.0.0.1', () => s.close(() => r(true)));
    });
    if (ok) return p;
  }
}

function udpAsk(name: string): Promise<{ rcode: number; addresses: string[] }> {
  return new Promise((resolve, reject) => {
    const c = dgram.createSocket('udp4');
    const t = setTimeout(() => (c.close(), reject(new Error('udp timeout'))), 10_000);
    c.once('message', (m) => {
      clearTimeout(t);
      c.close();
      resolve(parseAnswers(m));
    });
    c.send(buildQuery(7, name), port, '127.0.0.1');
  });
}

function tcpAsk(queries: string[]): Promise<{ rcode: number; addresses: string[] }[]> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port });
    const out: { rcode: number; addresses: string[] }[] = [];
    let buf = Buffer.alloc(0);
    c.setTimeout(10_000, () => c.destroy(new Error('tcp timeout')));
    c.on('error', reject);
    c.on('connect', () => {
      // all queries in one write: the server must split them by their length prefixes
      c.write(Buffer.concat(queries.map((q, i) => {
        const m = buildQuery(100 + i, q);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        return Buffer.concat([len, m]);
      })));
    });
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(parseAnswers(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === queries.length) {
        c.end();
        resolve(out);
      }
    });
  });
}

beforeAll(async () => {
  port = await freePort();
  expect(await server.serve('127.0.0.1', port)).toBe(true);
});
afterAll(() => server.close());

describe('embedded DNS server', () => {
  it('answers over UDP', async () => {
    expect(await udpAsk('web')).toEqual({ rcode: 0, addresses: ['10.9.0.7'] });
    expect((await udpAsk('nope')).rcode).toBe(3);
  });

  it('answers over TCP, several queries on one connection', async () => {
    const [a, b, c] = await tcpAsk(['web', 'db.alias', 'nope']);
    expect(a).toEqual({ rcode: 0, addresses: ['10.9.0.7'] });
    expect(b!.addresses.sort()).toEqual(['10.9.0.8', '10.9.0.9']);
    expect(c!.rcode).toBe(3);
  });

  it('stops serving both after stop()', async () => {
    await server.stop('127.0.0.1');
    await expect(tcpAsk(['web'])).rejects.toThrow();
    expect(await server.serve('127.0.0.1', port)).toBe(true);
    expect(await udpAsk('web')).toEqual({ rcode: 0, addresses: ['10.9.0.7'] });
  });
});
