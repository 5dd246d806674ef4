/**
 * The embedded DNS server: one UDP socket on each network's gateway address, port 53. A query is answered
 * from the view of the asking container (found by its source address): the names of every network it is
 * on. Unknown names are forwarded to the host's resolvers for containers with a way out (none for
 * internal-only containers: NXDOMAIN). The name table is a callback, so it is always current.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { buildResponse, parseQuery, RCODE_NXDOMAIN, RCODE_SERVFAIL, TYPE_A } from './dns-wire.js';

export interface DnsView {
  /** Addresses for `name` as seen from the container at `client`; undefined = not ours. */
  lookup(client: string, name: string): string[] | undefined;
  /** May this client's unknown queries go to the host's resolvers? */
  mayForward(client: string): boolean;
}

export class DnsServer {
  private readonly sockets = new Map<string, dgram.Socket>();
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
    s.on('message', (msg, rinfo) => this.answer(s, msg, rinfo));
    this.sockets.set(addr, s);
    return true;
  }

  async stop(addr: string): Promise<void> {
    const s = this.sockets.get(addr);
    this.sockets.delete(addr);
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  async close(): Promise<void> {
    for (const a of [...this.sockets.keys()]) await this.stop(a);
  }

  addresses(): string[] {
    return [...this.sockets.keys()];
  }

  private answer(s: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const q = parseQuery(msg);
    if (!q) return;
    const found = this.view.lookup(rinfo.address, q.name);
    if (found !== undefined) {
      s.send(buildResponse(msg, q, q.type === TYPE_A ? found : []), rinfo.port, rinfo.address);
      return;
    }
    if (!this.view.mayForward(rinfo.address)) {
      s.send(buildResponse(msg, q, [], RCODE_NXDOMAIN), rinfo.port, rinfo.address);
      return;
    }
    this.forward(msg, (reply) => s.send(reply ?? buildResponse(msg, q, [], RCODE_SERVFAIL), rinfo.port, rinfo.address));
  }

  private forward(msg: Buffer, done: (reply: Buffer | undefined) => void): void {
    this.upstreams ??= hostResolvers();
    const up = this.upstreams[0];
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
