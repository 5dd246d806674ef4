/**
 * The userspace load balancer. Runs inside the supervisor: TCP listeners are served by worker threads
 * (one SO_REUSEPORT socket per worker per listener, so the kernel spreads connections over the cores);
 * UDP listeners are proxied on the main thread (one upstream socket per client address).
 *
 * A *pool* is one service port (e.g. "proj/web:80"); listeners (published ports, the service's virtual IP
 * port) point at a pool. `setPool` replaces the rotation; `drain(id)` takes a backend out of every pool
 * and resolves when its open connections closed, resetting what is left at the deadline.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TscError } from '../../errors.js';
import { Picker, type BackendSpec, type Strategy } from './picker.js';
import type { FromWorker, LbOptions, ToWorker } from './protocol.js';

export interface ListenerSpec {
  /** Unique key of the listener (e.g. "proj/web/tcp/127.0.0.1:8080"). */
  key: string;
  host: string;
  /** 0 = ephemeral (the same port on every worker). */
  port: number;
  protocol: 'tcp' | 'udp';
  pool: string;
}

export interface LoadBalancerOptions extends Partial<LbOptions> {
  workers?: number;
  /** UDP session idle timeout (default 60 s). */
  udpIdleMs?: number;
}

function workerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'worker.js');
  if (existsSync(js)) return js;
  // running from TypeScript sources (tests): use the built copy
  const built = resolve(here, '../../../dist/network/lb/worker.js');
  if (existsSync(built)) return built;
  throw new TscError('INTERNAL', `load balancer worker not built (${built}); run npm run build`);
}

interface UdpListener {
  sock: dgram.Socket;
  sessions: Map<string, { up: dgram.Socket; timer: NodeJS.Timeout; backend: string }>;
}

export class LoadBalancer {
  private readonly workers: Worker[] = [];
  private readonly opts: LbOptions;
  private readonly nWorkers: number;
  private readonly udpIdleMs: number;
  private readonly pending = new Map<string, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  private rid = 0;
  private readonly ridWaiters = new Map<number, (m: FromWorker) => void>();
  private readonly listeners = new Map<string, { spec: ListenerSpec; port: number; udp?: UdpListener }>();
  private readonly pools = new Map<string, { strategy: Strategy; backends: BackendSpec[]; picker: Picker }>();
  private started = false;

  constructor(o: LoadBalancerOptions = {}) {
    this.nWorkers = Math.max(1, o.workers ?? Math.min(availableParallelism(), 4));
    this.udpIdleMs = o.udpIdleMs ?? 60_000;
    this.opts = { connectTimeoutMs: o.connectTimeoutMs ?? 2000, failBackoffMs: o.failBackoffMs ?? 1000, replayBytes: o.replayBytes ?? 65536 };
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    const file = workerFile();
    for (let i = 0; i < this.nWorkers; i++) {
      const w = new Worker(file, { workerData: this.opts });
      w.on('message', (m: FromWorker) => this.onMessage(i, m));
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
      });
      this.workers.push(w);
    }
  }

  private onMessage(i: number, m: FromWorker): void {
    if ((m.type === 'listening' || m.type === 'unlistened' || (m.type === 'error' && m.lid)) && 'lid' in m && m.lid) {
      const p = this.pending.get(`${i}:${m.lid}`);
      if (p) {
        this.pending.delete(`${i}:${m.lid}`);
        if (m.type === 'error') p.reject(new TscError(m.code === 'CONFLICT' ? 'CONFLICT' : 'NETWORK', m.message));
        else p.resolve(m);
      }
      return;
    }
    if ('rid' in m && m.rid !== undefined) this.ridWaiters.get(m.rid)?.(m);
  }

  private ask(i: number, lid: string, msg: ToWorker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.pending.set(`${i}:${lid}`, { resolve, reject });
      this.workers[i]!.postMessage(msg);
    });
  }

  private broadcastRid(make: (rid: number) => ToWorker): Promise<FromWorker[]> {
    this.start();
    return Promise.all(
      this.workers.map(
        (w) =>
          new Promise<FromWorker>((resolve) => {
            const rid = ++this.rid;
            this.ridWaiters.set(rid, (m) => {
              this.ridWaiters.delete(rid);
              resolve(m);
            });
            w.postMessage(make(rid));
          }),
      ),
    );
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
    this.start();
    // A plain (non-reuseport) bind first: it fails if anyone, including another SO_REUSEPORT LB, holds
    // the port, and picks the ephemeral port when 0 was asked.
    const port = await probePort(spec.host, spec.port);
    const lid = spec.key;
    try {
      for (let i = 0; i < this.workers.length; i++) await this.ask(i, lid, { type: 'listen', lid, host: spec.host, port, pool: spec.pool });
    } catch (e) {
      await Promise.all(this.workers.map((_, i) => this.ask(i, lid, { type: 'unlisten', lid }).catch(() => undefined)));
      throw e;
    }
    this.listeners.set(spec.key, { spec, port });
    return port;
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
    await Promise.all(this.workers.map((_, i) => this.ask(i, key, { type: 'unlisten', lid: key })));
  }

  listenerKeys(): string[] {
    return [...this.listeners.keys()];
  }

  port(key: string): number | undefined {
    return this.listeners.get(key)?.port;
  }

  /** Replace the rotation of a pool (only running, healthy, non-draining backends belong in it). */
  setPool(pool: string, backends: BackendSpec[], strategy: Strategy = 'round-robin'): void {
    this.start();
    let p = this.pools.get(pool);
    if (!p) this.pools.set(pool, (p = { strategy, backends, picker: new Picker(strategy) }));
    p.strategy = strategy;
    p.backends = backends;
    p.picker.set(backends, strategy);
    for (const w of this.workers) w.postMessage({ type: 'pool', pool, strategy, backends } satisfies ToWorker);
  }

  deletePool(pool: string): void {
    this.setPool(pool, []);
    this.pools.delete(pool);
  }

  /** Take backend `id` out of every pool; resolves when its connections are closed (reset at the deadline). */
  async drain(id: string, deadlineMs: number): Promise<{ reset: number }> {
    for (const [name, p] of this.pools) {
      if (p.backends.some((b) => b.id === id)) this.setPool(name, p.backends.filter((b) => b.id !== id), p.strategy);
    }
    const res = await this.broadcastRid((rid) => ({ type: 'drain', rid, id, deadlineMs }));
    return { reset: res.reduce((n, m) => n + (m.type === 'drained' ? m.reset : 0), 0) };
  }

  /** Open and total connections per backend id, summed over the workers. */
  async stats(): Promise<{ active: Record<string, number>; total: Record<string, number> }> {
    const res = await this.broadcastRid((rid) => ({ type: 'stats', rid }));
    const active: Record<string, number> = {};
    const total: Record<string, number> = {};
    for (const m of res) {
      if (m.type !== 'stats') continue;
      for (const [k, v] of Object.entries(m.active)) active[k] = (active[k] ?? 0) + v;
      for (const [k, v] of Object.entries(m.total)) total[k] = (total[k] ?? 0) + v;
    }
    return { active, total };
  }

  async close(): Promise<void> {
    for (const k of [...this.listeners.keys()]) await this.unlisten(k).catch(() => undefined);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.started = false;
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
