/**
 * The embedded DNS server: a UDP socket and a TCP listener (RFC 7766: 2-byte length framing, several
 * queries per connection, idle connections closed) on each network's gateway address, port 53. A query is answered
 * from the view of the asking container (found by its source address): the names of every network it is
 * on. Unknown names are forwarded to the host's resolvers for containers with a way out (none for
 * internal-only containers: NXDOMAIN). The name table is a callback, so it is always current.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { buildResponse, parseQuery, RCODE_NXDOMAIN, RCODE_SERVFAIL, TYPE_A } from './dns-wire.js';

export interface DnsView {
  /** Addresses for `name` as seen from the container at `client`; undefined = not ours. */
  lookup(client: string, name: string): string[] | undefined;
  /** May this client's unknown queries go to the host's resolvers? */
  mayForward(client: string): boolean;
}

/** A TCP client that sends nothing for this long is disconnected. */
const TCP_IDLE_MS = 10_000;

export class DnsServer {
  private readonly sockets = new Map<string, dgram.Socket>();
  private readonly tcp = new Map<string, net.Server>();
  private upstreams: string[] | undefined;

  constructor(private readonly view: DnsView) {}

  /** Serve on addr:53 (idempotent). Resolves false when the port cannot be bound. */
  async serve(addr: string, port = 53): Promise<boolean> {
    if (this.sockets.has(addr)) return true;
    const s = dgram.createSocket({ type: 'udp4' });
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, addr, () => resolve(true));
    });
    if (!ok) {
      s.close();
      return false;
    }
    s.on('error', () => undefined);
    s.on('message', (msg, rinfo) => this.answer(msg, rinfo.address, (reply) => s.send(reply, rinfo.port, rinfo.address), false));
    this.sockets.set(addr, s);
    // TCP beside UDP (clients retry over TCP after a truncated answer; some resolvers use it by choice).
    // A TCP port that cannot be bound does not stop the UDP service.
    const srv = net.createServer((c) => this.serveTcp(c));
    const tcpOk = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen({ host: addr, port }, () => resolve(true));
    });
    if (tcpOk) {
      srv.on('error', () => undefined);
      this.tcp.set(addr, srv);
    }
    return true;
  }

  async stop(addr: string): Promise<void> {
    const s = this.sockets.get(addr);
    this.sockets.delete(addr);
    if (s) await new Promise<void>((r) => s.close(() => r()));
    const t = this.tcp.get(addr);
    this.tcp.delete(addr);
    if (t) await new Promise<void>((r) => t.close(() => r()));
  }

  private serveTcp(c: net.Socket): void {
    const client = c.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    let buf = Buffer.alloc(0);
    c.setTimeout(TCP_IDLE_MS, () => c.destroy());
    c.on('error', () => undefined);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        this.answer(msg, client, (reply) => {
          if (c.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          c.write(Buffer.concat([len, reply]));
        }, true);
      }
    });
  }

  async close(): Promise<void> {
    for (const a of [...this.sockets.keys()]) await this.stop(a);
  }

  addresses(): string[] {
    return [...this.sockets.keys()];
  }

  private answer(msg: Buffer, client: string, reply: (b: Buffer) => void, tcp: boolean): void {
    const q = parseQuery(msg);
    if (!q) return;
    const found = this.view.lookup(client, q.name);
    if (found !== undefined) {
      reply(buildResponse(msg, q, q.type === TYPE_A ? found : []));
      return;
    }
    if (!this.view.mayForward(client)) {
      reply(buildResponse(msg, q, [], RCODE_NXDOMAIN));
      return;
    }
    const done = (r: Buffer | undefined): void => reply(r ?? buildResponse(msg, q, [], RCODE_SERVFAIL));
    if (tcp) this.forwardTcp(msg, done);
    else this.forward(msg, done);
  }

  private upstream(): string | undefined {
    this.upstreams ??= hostResolvers();
    return this.upstreams[0];
  }

  private forward(msg: Buffer, done: (reply: Buffer | undefined) => void): void {
    const up = this.upstream();
    if (!up) return done(undefined);
    const c = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      c.close();
      done(undefined);
    }, 2000);
    c.on('error', () => undefined);
    c.once('message', (reply) => {
      clearTimeout(timer);
      c.close();
      done(reply);
    });
    c.send(msg, 53, up);
  }

  /** A query that came over TCP goes upstream over TCP (its answer may be larger than UDP allows). */
  private forwardTcp(msg: Buffer, done: (reply: Buffer | undefined) => void): void {
    const up = this.upstream();
    if (!up) return done(undefined);
    let buf = Buffer.alloc(0);
    let finished = false;
    const finish = (r: Buffer | undefined): void => {
      if (finished) return;
      finished = true;
      c.destroy();
      done(r);
    };
    const c = net.connect({ host: up, port: 53, timeout: 2000 });
    c.on('timeout', () => finish(undefined));
    c.on('error', () => finish(undefined));
    c.on('close', () => finish(undefined));
    c.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      c.write(Buffer.concat([len, msg]));
    });
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  }
}

function hostResolvers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+([\d.]+)\s*$/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined && !x.startsWith('127.'));
  } catch {
    return [];
  }
}
