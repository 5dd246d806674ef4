/**
 * The userspace load balancer, driven from the supervisor. TCP listeners are served by one tsc-lb process
 * (native/lb/tsc-lb.c): min(cores, 4) epoll threads, each with its own SO_REUSEPORT socket per listener, so
 * the kernel spreads connections over the cores. UDP listeners are proxied here on the main thread (one
 * upstream socket per client address).
 *
 * A *pool* is one service port (e.g. "proj/web:80"); listeners (published ports, the service's virtual IP
 * port) point at a pool. `setPool` replaces the rotation; `drain(id)` takes a backend out of every pool
 * and resolves when its open connections closed, resetting what is left at the deadline.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { TscError } from '../../errors.js';
import { LbProcess } from './lb-process.js';
import { Picker, type BackendSpec, type Strategy } from './picker.js';
import type { LbOptions } from './protocol.js';

export interface ListenerSpec {
  /** Unique key of the listener (e.g. "proj/web/tcp/127.0.0.1:8080"). */
  key: string;
  host: string;
  /** 0 = ephemeral (the same port on every thread). */
  port: number;
  protocol: 'tcp' | 'udp';
  pool: string;
}

export interface LoadBalancerOptions extends Partial<LbOptions> {
  /** Data-path threads of tsc-lb (default min(cores, 4)). */
  workers?: number;
  /** UDP session idle timeout (default 60 s). */
  udpIdleMs?: number;
}

interface UdpListener {
  sock: dgram.Socket;
  sessions: Map<string, { up: dgram.Socket; timer: NodeJS.Timeout; backend: string }>;
}

export class LoadBalancer {
  private proc: LbProcess | undefined;
  private readonly opts: LbOptions;
  private readonly nWorkers: number;
  private readonly udpIdleMs: number;
  private readonly listeners = new Map<string, { spec: ListenerSpec; port: number; udp?: UdpListener }>();
  private readonly pools = new Map<string, { strategy: Strategy; backends: BackendSpec[]; picker: Picker }>();
  /** Backends that were ever in a pool: only those can have connections through us to drain. */
  private readonly pooled = new Set<string>();

  constructor(o: LoadBalancerOptions = {}) {
    this.nWorkers = Math.max(1, Math.min(16, o.workers ?? Math.min(availableParallelism(), 4)));
    this.udpIdleMs = o.udpIdleMs ?? 60_000;
    this.opts = { connectTimeoutMs: o.connectTimeoutMs ?? 2000, failBackoffMs: o.failBackoffMs ?? 1000, replayBytes: o.replayBytes ?? 65536 };
  }

  /** The tsc-lb process, started by the first TCP listener (and again, with every pool and listener, if it died). */
  private lb(): LbProcess {
    if (this.proc) return this.proc;
    const p = new LbProcess(this.nWorkers, this.opts, () => {
      if (this.proc !== p) return;
      this.proc = undefined;
      // a moment later, so a tsc-lb that cannot start does not spin
      setTimeout(() => void this.restore().catch(() => undefined), 200);
    });
    this.proc = p;
    for (const [pool, v] of this.pools) void sendPool(p, pool, v.backends, v.strategy);
    return p;
  }

  /**
   * Starts tsc-lb ahead of the first TCP listener, so that its start-up (exec, threads; 10-100 ms on a busy
   * host) overlaps the caller's other work. A missing binary is reported by the first listen instead.
   */
  warm(): void {
    try {
      this.lb();
    } catch {
      /* not built: listen() says so */
    }
  }

  /** Stops a warmed tsc-lb that no TCP listener needs (started again by the next one). */
  async release(): Promise<void> {
    if (!this.proc || this.hasTcpListeners() || this.opening.size > 0) return;
    const p = this.proc;
    this.proc = undefined;
    await p.close();
  }

  private async restore(): Promise<void> {
    if (this.proc || !this.hasTcpListeners()) return;
    const p = this.lb();
    for (const l of this.listeners.values()) {
      if (!l.udp) await p.request({ op: 'listen', lid: l.spec.key, host: l.spec.host, port: l.port, pool: l.spec.pool }).catch(() => undefined);
    }
    p.hold(this.hasTcpListeners());
  }

  private hasTcpListeners(): boolean {
    for (const l of this.listeners.values()) if (!l.udp) return true;
    return false;
  }

  /** Pid of the tsc-lb process, if running (tests). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Start a listener; resolves with the bound port. CONFLICT when the port is taken. */
  listen(spec: ListenerSpec): Promise<number> {
    const have = this.listeners.get(spec.key);
    if (have) return Promise.resolve(have.port);
    const inflight = this.opening.get(spec.key);
    if (inflight) return inflight;
    const p = this.open(spec).finally(() => this.opening.delete(spec.key));
    this.opening.set(spec.key, p);
    return p;
  }

  private readonly opening = new Map<string, Promise<number>>();

  private async open(spec: ListenerSpec): Promise<number> {
    if (spec.protocol === 'udp') return this.listenUdp(spec);
    // A plain (non-reuseport) bind first: it fails if anyone, including another SO_REUSEPORT LB, holds
    // the port, and picks the ephemeral port when 0 was asked.
    const port = await probePort(spec.host, spec.port);
    const r = await this.lb().request({ op: 'listen', lid: spec.key, host: spec.host, port, pool: spec.pool });
    this.listeners.set(spec.key, { spec, port: r.port ?? port });
    this.proc?.hold(true);
    return r.port ?? port;
  }

  async unlisten(key: string): Promise<void> {
    const l = this.listeners.get(key);
    if (!l) return;
    this.listeners.delete(key);
    if (l.udp) {
      for (const s of l.udp.sessions.values()) {
        clearTimeout(s.timer);
        s.up.close();
      }
      await new Promise<void>((r) => l.udp!.sock.close(() => r()));
      return;
    }
    if (this.proc) {
      await this.proc.request({ op: 'unlisten', lid: key });
      this.proc?.hold(this.hasTcpListeners());
    }
  }

  listenerKeys(): string[] {
    return [...this.listeners.keys()];
  }

  port(key: string): number | undefined {
    return this.listeners.get(key)?.port;
  }

  /**
   * Replace the rotation of a pool (only running, healthy, non-draining backends belong in it). Takes effect
   * in order with every later call; the promise (which callers may ignore) resolves once tsc-lb applied it.
   */
  setPool(pool: string, backends: BackendSpec[], strategy: Strategy = 'round-robin'): Promise<void> {
    let p = this.pools.get(pool);
    if (!p) this.pools.set(pool, (p = { strategy, backends, picker: new Picker(strategy) }));
    p.strategy = strategy;
    p.backends = backends;
    p.picker.set(backends, strategy);
    for (const b of backends) this.pooled.add(b.id);
    return this.proc ? sendPool(this.proc, pool, backends, strategy) : Promise.resolve();
  }

  deletePool(pool: string): Promise<void> {
    const applied = this.setPool(pool, []);
    this.pools.delete(pool);
    return applied;
  }

  /** Take backend `id` out of every pool; resolves when its connections are closed (reset at the deadline). */
  async drain(id: string, deadlineMs: number): Promise<{ reset: number }> {
    for (const [name, p] of this.pools) {
      if (p.backends.some((b) => b.id === id)) void this.setPool(name, p.backends.filter((b) => b.id !== id), p.strategy);
    }
    // never a backend (a service without ports, e.g. a worker): no connection to wait for, no round trip to
    // tsc-lb for each of a scale-down's replicas. No TCP listener at all: none either.
    if (!this.pooled.has(id) || !this.proc) return { reset: 0 };
    const r = await this.proc.request({ op: 'drain', backend: id, deadlineMs: Math.max(0, Math.round(deadlineMs)) });
    this.pooled.delete(id);
    return { reset: r.reset ?? 0 };
  }

  /** Open and total connections per backend id. */
  async stats(): Promise<{ active: Record<string, number>; total: Record<string, number> }> {
    if (!this.proc) return { active: {}, total: {} };
    const r = await this.proc.request({ op: 'stats' });
    return { active: r.active ?? {}, total: r.total ?? {} };
  }

  async close(): Promise<void> {
    for (const k of [...this.listeners.keys()]) await this.unlisten(k).catch(() => undefined);
    const p = this.proc;
    this.proc = undefined;
    await p?.close();
  }

  private async listenUdp(spec: ListenerSpec): Promise<number> {
    const sock = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(new TscError(errCode(e) === 'EADDRINUSE' ? 'CONFLICT' : 'NETWORK', `udp ${spec.host}:${spec.port}: ${e.message}`)));
      sock.bind(spec.port, spec.host, () => resolve());
    });
    const udp: UdpListener = { sock, sessions: new Map() };
    sock.on('message', (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      let s = udp.sessions.get(key);
      if (!s) {
        const b = this.pools.get(spec.pool)?.picker.pick(Date.now());
        if (!b) return;
        const up = dgram.createSocket('udp4');
        up.on('message', (reply) => {
          sock.send(reply, rinfo.port, rinfo.address);
          const cur = udp.sessions.get(key);
          if (cur) cur.timer.refresh();
        });
        up.on('error', () => undefined);
        up.connect(b.port, b.host);
        const timer = setTimeout(() => {
          udp.sessions.delete(key);
          up.close();
        }, this.udpIdleMs);
        timer.unref();
        s = { up, timer, backend: b.id };
        udp.sessions.set(key, s);
        up.once('connect', () => up.send(msg));
        return;
      }
      s.timer.refresh();
      try {
        s.up.send(msg);
      } catch {
        /* not yet connected: dropped, as UDP may */
      }
    });
    sock.on('error', () => undefined);
    const port = sock.address().port;
    this.listeners.set(spec.key, { spec, port, udp });
    return port;
  }
}

/** Applied in order with every later request on the same pipe; the reply carries nothing. */
function sendPool(p: LbProcess, pool: string, backends: BackendSpec[], strategy: Strategy): Promise<void> {
  return p.request({ op: 'pool', pool, strategy, backends: backends.map((b) => ({ id: b.id, host: b.host, port: b.port })) }).then(
    () => undefined,
    () => undefined, // a dead tsc-lb is restarted with every pool
  );
}

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function probePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e) => {
      const inUse = errCode(e) === 'EADDRINUSE';
      reject(new TscError(inUse ? 'CONFLICT' : 'NETWORK', inUse ? `port ${host}:${port} is already in use` : `cannot listen on ${host}:${port}: ${e.message}`, { cause: e }));
    });
    s.listen({ host, port, exclusive: true }, () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : port;
      s.close(() => resolve(p));
    });
  });
}
