/**
 * A load balancer worker thread: its own SO_REUSEPORT accept queue per listener, its own pickers.
 * Fast path: accept -> pick -> connect -> forward data both ways with back-pressure (no pipe() machinery).
 * Until the backend's first byte arrives the client's bytes are also kept (up to replayBytes): if the
 * backend refuses, times out, or closes without answering, the next backend gets the same bytes.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { reusePortListener } from '../../sys/socket.js';
import { Picker, type BackendState } from './picker.js';
import type { FromWorker, LbOptions, ToWorker } from './protocol.js';

const port = parentPort!;
const opts = workerData as LbOptions;
const send = (m: FromWorker): void => port.postMessage(m);

const pickers = new Map<string, Picker>();
const servers = new Map<string, net.Server>();
/** Open connections per backend id: their sockets (client, upstream). */
const conns = new Map<string, Set<net.Socket>>();
const total = new Map<string, number>();
/** Backend ids being drained (never picked again). */
const draining = new Set<string>();
const drainWaiters: Array<{ rid: number; id: string; timer: NodeJS.Timeout }> = [];

/** Upstream sockets still connecting, with their deadline: one sweep timer instead of a timer each. */
const connecting = new Map<net.Socket, number>();
setInterval(() => {
  if (connecting.size === 0) return;
  const now = Date.now();
  for (const [s, deadline] of connecting) {
    if (deadline <= now) {
      connecting.delete(s);
      s.destroy(new Error('connect timeout'));
    }
  }
}, 250).unref();

function picker(pool: string): Picker {
  let p = pickers.get(pool);
  if (!p) {
    p = new Picker('round-robin', Math.floor(Math.random() * 1000));
    pickers.set(pool, p);
  }
  return p;
}

function track(id: string, s: net.Socket): void {
  let set = conns.get(id);
  if (!set) conns.set(id, (set = new Set()));
  set.add(s);
  total.set(id, (total.get(id) ?? 0) + 1);
}

function untrack(id: string, s: net.Socket): void {
  const set = conns.get(id);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) {
    conns.delete(id);
    checkDrained(id);
  }
}

function checkDrained(id: string): void {
  for (let i = drainWaiters.length - 1; i >= 0; i--) {
    const w = drainWaiters[i]!;
    if (w.id === id && !conns.has(id)) {
      clearTimeout(w.timer);
      drainWaiters.splice(i, 1);
      send({ type: 'drained', rid: w.rid, reset: 0 });
    }
  }
}

function handle(pool: string, client: net.Socket): void {
  const p = picker(pool);
  let kept: Buffer[] | undefined = opts.replayBytes > 0 ? [] : undefined;
  let keptBytes = 0;
  /** Bytes that arrived before the connect when they are not kept for replay. */
  const early: Buffer[] = [];
  let upstream: net.Socket | undefined;
  let connected = false;
  let answered = false;
  let clientEnded = false;
  let done = false;
  const tried = new Set<string>();

  const finish = (): void => {
    if (done) return;
    done = true;
    client.destroy();
    upstream?.destroy();
  };
  const canRetry = (): boolean => kept !== undefined && !client.destroyed && tried.size < p.backends.length + draining.size;

  client.on('data', (d: Buffer) => {
    if (kept) {
      keptBytes += d.length;
      if (keptBytes > opts.replayBytes) kept = undefined;
      else kept.push(d);
    }
    if (connected) {
      if (!upstream!.write(d)) client.pause();
    } else if (!kept) {
      early.push(d);
      client.pause();
    }
  });
  client.on('end', () => {
    clientEnded = true;
    if (connected) upstream!.end();
  });
  client.on('drain', () => upstream?.resume());
  client.on('error', finish);
  client.on('close', () => {
    if (!done && upstream && !upstream.destroyed) {
      if (clientEnded && !answered) return; // half-closed client still waits for its answer
      upstream.destroy();
    }
    done = true;
  });

  const tryNext = (): void => {
    if (done) return;
    const b = pickNonDraining(p, tried);
    if (!b) {
      finish();
      return;
    }
    tried.add(b.id);
    b.active++;
    const u = net.connect({ host: b.host, port: b.port, noDelay: true, allowHalfOpen: true });
    upstream = u;
    track(b.id, u);
    connecting.set(u, Date.now() + opts.connectTimeoutMs);
    u.once('connect', () => {
      connecting.delete(u);
      connected = true;
      if (kept) {
        for (const d of kept) u.write(d);
        // everything kept has been written; later data is written directly (and kept until answered)
      } else {
        for (const d of early) u.write(d);
        early.length = 0;
        client.resume();
      }
      if (clientEnded) u.end();
    });
    u.on('data', (d: Buffer) => {
      if (!answered) {
        answered = true;
        kept = undefined;
      }
      if (!client.write(d)) u.pause();
    });
    u.on('drain', () => client.resume());
    u.on('end', () => {
      if (answered || !canRetry()) client.end();
    });
    u.on('error', () => {
      /* the close handler decides */
    });
    u.on('close', (hadError: boolean) => {
      connecting.delete(u);
      b.active--;
      untrack(b.id, u);
      if (done || upstream !== u) return;
      if (!answered && canRetry()) {
        if (!connected) b.downUntil = Date.now() + opts.failBackoffMs;
        connected = false;
        upstream = undefined;
        tryNext();
        return;
      }
      done = true;
      if (hadError) client.destroy();
      else client.end();
    });
  };
  tryNext();
}

function pickNonDraining(p: Picker, tried: Set<string>): BackendState | undefined {
  const now = Date.now();
  if (draining.size === 0) return p.pick(now, tried);
  const ex = new Set([...tried, ...draining]);
  return p.pick(now, ex);
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'listen': {
      try {
        const fd = reusePortListener(m.host, m.port);
        const srv = net.createServer({ noDelay: true, allowHalfOpen: true }, (c) => handle(m.pool, c));
        srv.on('error', (e) => send({ type: 'error', lid: m.lid, code: 'NETWORK', message: String(e) }));
        srv.listen({ fd }, () => {
          const a = srv.address();
          send({ type: 'listening', lid: m.lid, port: typeof a === 'object' && a ? a.port : m.port });
        });
        servers.set(m.lid, srv);
      } catch (e) {
        const code = typeof e === 'object' && e && 'code' in e ? String((e as { code: unknown }).code) : 'NETWORK';
        send({ type: 'error', lid: m.lid, code, message: e instanceof Error ? e.message : String(e) });
      }
      break;
    }
    case 'unlisten': {
      const s = servers.get(m.lid);
      servers.delete(m.lid);
      if (s) s.close(() => send({ type: 'unlistened', lid: m.lid }));
      else send({ type: 'unlistened', lid: m.lid });
      break;
    }
    case 'pool': {
      const p = picker(m.pool);
      p.set(m.backends, m.strategy);
      for (const b of m.backends) draining.delete(b.id);
      break;
    }
    case 'drain': {
      draining.add(m.id);
      for (const p of pickers.values()) p.set(p.backends.filter((b) => b.id !== m.id));
      if (!conns.has(m.id)) {
        send({ type: 'drained', rid: m.rid, reset: 0 });
        break;
      }
      const timer = setTimeout(() => {
        const set = conns.get(m.id);
        const n = set ? set.size : 0;
        if (set) for (const s of set) s.destroy();
        const i = drainWaiters.findIndex((w) => w.rid === m.rid);
        if (i >= 0) drainWaiters.splice(i, 1);
        send({ type: 'drained', rid: m.rid, reset: n });
      }, Math.max(0, m.deadlineMs));
      drainWaiters.push({ rid: m.rid, id: m.id, timer });
      break;
    }
    case 'stats': {
      const active: Record<string, number> = {};
      for (const [id, s] of conns) active[id] = s.size;
      send({ type: 'stats', rid: m.rid, active, total: Object.fromEntries(total) });
      break;
    }
  }
});
