/**
 * tsc-lb (native/lb/tsc-lb.c) through the LoadBalancer class, with plain TCP backends on loopback: spreading,
 * retry on a refused / silent / mute backend with the client's bytes replayed, drain, half-close, a large
 * transfer with back-pressure, port conflicts, and the process dying with its parent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LoadBalancer } from '../../src/network/lb/balancer.js';
import { eventually } from '../helpers/eventually.js';

const H = '127.0.0.1';
const servers = new Set<net.Server>();
const sockets = new Set<net.Socket>();
const lbs = new Set<LoadBalancer>();
const procs = new Set<ChildProcess>();
let seq = 0;
const key = (): string => `t${process.pid}-${Math.random().toString(36).slice(2, 8)}-${++seq}`;

/** A backend on an ephemeral loopback port; `onConn` gets each accepted socket. */
async function backend(onConn: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConn(s);
  });
  servers.add(srv);
  await new Promise<void>((r) => srv.listen(0, H, r));
  return (srv.address() as net.AddressInfo).port;
}

/** Answers "NAME:<what it read>" once the client half-closed or sent a newline. */
function named(name: string): (s: net.Socket) => void {
  return (s) => {
    let got = '';
    const answer = (): void => {
      if (!s.writableEnded) s.end(`${name}:${got}`);
    };
    s.on('data', (d) => {
      got += d.toString();
      if (got.endsWith('\n')) answer();
    });
    s.on('end', answer);
  };
}

/** A port nobody listens on (refused). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, H, r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: H, port, allowHalfOpen: true });
    sockets.add(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** One request: write `msg`, read until the LB closes; resolves with what came back (or "ERR:code"). */
function ask(port: number, msg = 'hi\n'): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect({ host: H, port });
    sockets.add(c);
    let got = '';
    c.on('data', (d) => (got += d.toString()));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`ERR:${e.code}`));
    c.on('close', () => resolve(got));
    c.write(msg);
  });
}

async function newLb(o: ConstructorParameters<typeof LoadBalancer>[0] = {}): Promise<{ lb: LoadBalancer; port: number; pool: string }> {
  const lb = new LoadBalancer({ workers: 2, ...o });
  lbs.add(lb);
  const pool = key();
  const port = await lb.listen({ key: key(), host: H, port: 0, protocol: 'tcp', pool });
  return { lb, port, pool };
}

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const lb of lbs) await lb.close();
  lbs.clear();
  for (const s of servers) s.close();
  servers.clear();
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  procs.clear();
});

afterAll(async () => {
  for (const s of servers) s.close();
});

describe('tsc-lb', () => {
  it('spreads connections round-robin over the backends, on several threads', async () => {
    const { lb, port, pool } = await newLb();
    const ports = await Promise.all(['a', 'b', 'c'].map((n) => backend(named(n))));
    await lb.setPool(pool, ports.map((p, i) => ({ id: `b${i}`, host: H, port: p })));
    const seen: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const r = await ask(port);
      const n = r.split(':')[0]!;
      seen[n] = (seen[n] ?? 0) + 1;
    }
    expect(seen).toEqual({ a: 10, b: 10, c: 10 });
    const st = await lb.stats();
    expect(st.total).toMatchObject({ b0: 10, b1: 10, b2: 10 });
    // one control thread + 2 data threads, each with its own SO_REUSEPORT socket
    expect(readdirSync(`/proc/${lb.pid}/task`).length).toBe(3);
  });

  it('a refused backend is skipped (and backed off) and the next one gets the request', async () => {
    const { lb, port, pool } = await newLb({ failBackoffMs: 60_000 });
    const good = await backend(named('good'));
    await lb.setPool(pool, [
      { id: 'dead', host: H, port: await deadPort() },
      { id: 'good', host: H, port: good },
    ]);
    for (let i = 0; i < 10; i++) expect(await ask(port, `r${i}\n`)).toBe(`good:r${i}\n`);
    const st = await lb.stats();
    expect(st.total.dead).toBe(1); // tried once, then in back-off
    expect(st.total.good).toBe(10);
  });

  it('a backend that closes without answering gets replaced, with the client bytes replayed', async () => {
    const { lb, port, pool } = await newLb();
    const mute = await backend((s) => s.once('data', () => s.destroy()));
    const good = await backend(named('good'));
    await lb.setPool(pool, [
      { id: 'mute', host: H, port: mute },
      { id: 'good', host: H, port: good },
    ]);
    for (let i = 0; i < 6; i++) expect(await ask(port, `replay-${i}\n`)).toBe(`good:replay-${i}\n`);
  });

  it('a backend that never completes the handshake times out and the next one is tried', async () => {
    // a listener with a full accept queue drops SYNs: connect hangs until our timeout
    const py = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0);print(s.getsockname()[1],flush=True);time.sleep(300)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.add(py);
    const full = Number(await new Promise<string>((r) => py.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
    for (let i = 0; i < 3; i++) net.connect(full, H).on('error', () => undefined); // fill the queue
    await new Promise((r) => setTimeout(r, 200));
    const { lb, port, pool } = await newLb({ connectTimeoutMs: 300 });
    const good = await backend(named('good'));
    await lb.setPool(pool, [
      { id: 'full', host: H, port: full },
      { id: 'good', host: H, port: good },
    ]);
    const answers = await Promise.all([ask(port, 'x\n'), ask(port, 'y\n'), ask(port, 'z\n')]);
    expect(answers.sort()).toEqual(['good:x\n', 'good:y\n', 'good:z\n']);
    expect((await lb.stats()).total.full).toBeGreaterThanOrEqual(1);
  });

  it('drain waits for open connections, and resets what is left at the deadline with the count', async () => {
    const { lb, port, pool } = await newLb();
    const held = await backend((s) => s.on('end', () => s.end())); // never answers; closes when the client does
    const other = await backend(named('other'));
    await lb.setPool(pool, [{ id: 'held', host: H, port: held }]);
    // two connections that end by themselves: the drain resolves without resetting anything
    const a = await Promise.all([connect(port), connect(port)]);
    await eventually(async () => (await lb.stats()).active.held === 2, { what: '2 active' });
    const first = lb.drain('held', 120_000);
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await lb.setPool(pool, [{ id: 'other', host: H, port: other }]);
    expect(await ask(port)).toBe('other:hi\n'); // new connections avoid the draining backend
    expect(firstDone).toBe(false);
    for (const c of a) c.end();
    expect(await first).toEqual({ reset: 0 });

    // three that stay open past the deadline are reset and counted
    await lb.setPool(pool, [{ id: 'held2', host: H, port: held }]);
    const b = await Promise.all([connect(port), connect(port), connect(port)]);
    await eventually(async () => (await lb.stats()).active.held2 === 3, { what: '3 active' });
    const closed = b.map((c) => new Promise<string>((r) => {
      c.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      c.on('close', () => r('closed'));
    }));
    expect(await lb.drain('held2', 300)).toEqual({ reset: 3 });
    expect(await Promise.all(closed)).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
    expect((await lb.stats()).active.held2).toBeUndefined();
  });

  it('drain of a backend that was never in a pool (a service without ports) has nothing to wait for', async () => {
    const { lb, port, pool } = await newLb();
    const other = await backend(named('other'));
    await lb.setPool(pool, [{ id: 'other', host: H, port: other }]);
    expect(await lb.drain('never-pooled', 120_000)).toEqual({ reset: 0 });
    expect(await ask(port)).toBe('other:hi\n'); // the pool is untouched
  });

  it('forwards half-close both ways', async () => {
    const { lb, port, pool } = await newLb();
    // answers only after the client's FIN
    const afterFin = await backend((s) => {
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => s.end(`got:${got}`));
    });
    // sends its FIN first, then keeps reading
    let late = '';
    const finFirst = await backend((s) => {
      s.once('data', () => {
        s.end('bye');
        s.on('data', (d) => (late += d.toString()));
      });
    });
    await lb.setPool(pool, [{ id: 'a', host: H, port: afterFin }]);
    const c = await connect(port);
    let got = '';
    c.on('data', (d) => (got += d.toString()));
    const ended = new Promise((r) => c.on('end', r));
    c.end('abc');
    await ended;
    expect(got).toBe('got:abc');

    await lb.setPool(pool, [{ id: 'b', host: H, port: finFirst }]);
    const d = await connect(port);
    let got2 = '';
    d.on('data', (x) => (got2 += x.toString()));
    const end2 = new Promise((r) => d.on('end', r));
    d.write('first');
    await end2;
    expect(got2).toBe('bye');
    d.end('late bytes');
    await eventually(() => late === 'late bytes', { what: 'bytes after the backend FIN' });
  });

  it('carries 20 MB each way intact through a slow reader (back-pressure)', async () => {
    const { lb, port, pool } = await newLb();
    const echo = await backend((s) => s.pipe(s));
    await lb.setPool(pool, [{ id: 'echo', host: H, port: echo }]);
    const data = randomBytes(20 << 20);
    const c = await connect(port);
    const hash = createHash('sha256');
    let n = 0;
    let paused = false;
    const done = new Promise<void>((resolve) => c.on('end', resolve));
    c.on('data', (d: Buffer) => {
      hash.update(d);
      n += d.length;
      if (n >= 1 << 20 && !paused) {
        paused = true;
        c.pause(); // let every buffer on the way fill up
        setTimeout(() => c.resume(), 300);
      }
    });
    c.end(data);
    await done;
    expect(n).toBe(data.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('a paused reader still gets every byte after the backend sent its FIN and closed', async () => {
    const { lb, port, pool } = await newLb();
    let backendClosed = false;
    // More than the paused client's socket buffer (~128 KiB: it cannot grow while nothing reads), so bytes wait
    // at the LB when the backend closes, yet well within what the kernel buffers between LB and backend hold
    // (~8 MiB measured, with autotuning): with 8 MiB the backend sometimes could not hand over its last bytes
    // and never closed.
    const data = randomBytes(3 << 20);
    const be = await backend((s) => {
      s.on('end', () => s.end(data));
      s.on('close', () => (backendClosed = true));
      s.resume();
    });
    await lb.setPool(pool, [{ id: 'be', host: H, port: be }]);
    const c = await connect(port);
    c.pause();
    c.end('go');
    // both directions are finished on the LB's backend side while bytes still wait for this client
    await eventually(() => backendClosed, { what: 'backend closed' });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    const how = await new Promise<string>((r) => {
      c.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      c.on('end', () => r('end'));
      c.resume();
    });
    expect(how).toBe('end');
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('refuses a port that is taken (CONFLICT), and frees its port on unlisten', async () => {
    const holder = net.createServer();
    servers.add(holder);
    await new Promise<void>((r) => holder.listen(0, H, r));
    const taken = (holder.address() as net.AddressInfo).port;
    const lb = new LoadBalancer({ workers: 2 });
    lbs.add(lb);
    await expect(lb.listen({ key: key(), host: H, port: taken, protocol: 'tcp', pool: key() })).rejects.toMatchObject({ code: 'CONFLICT' });

    const k = key();
    const port = await lb.listen({ key: k, host: H, port: 0, protocol: 'tcp', pool: key() });
    const second = new LoadBalancer({ workers: 2 });
    lbs.add(second);
    await expect(second.listen({ key: key(), host: H, port, protocol: 'tcp', pool: key() })).rejects.toMatchObject({ code: 'CONFLICT' });
    await lb.unlisten(k);
    const again = net.createServer();
    servers.add(again);
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, H, resolve);
    });
  });

  it('a killed tsc-lb is replaced, with its pools and listeners', async () => {
    const { lb, port, pool } = await newLb();
    await lb.setPool(pool, [{ id: 'a', host: H, port: await backend(named('a')) }]);
    expect(await ask(port)).toBe('a:hi\n');
    const old = lb.pid!;
    process.kill(old, 'SIGKILL');
    await eventually(async () => lb.pid !== undefined && lb.pid !== old && (await ask(port)) === 'a:hi\n', { what: 'answers again' });
  });

  it('dies with its parent: a SIGKILLed supervisor leaves no port held', async () => {
    const mod = fileURLToPath(new URL('../../dist/network/lb/balancer.js', import.meta.url)); // built by npm test
    expect(existsSync(mod)).toBe(true);
    const code = `const { LoadBalancer } = await import(${JSON.stringify(mod)});
const lb = new LoadBalancer({ workers: 2 });
const port = await lb.listen({ key: 'k', host: '127.0.0.1', port: 0, protocol: 'tcp', pool: 'p' });
console.log(JSON.stringify({ port, pid: lb.pid }));
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.add(child);
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', () => reject(new Error(`child exited: ${out}`)));
    });
    const { port, pid } = JSON.parse(line) as { port: number; pid: number };
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    child.kill('SIGKILL');
    await eventually(() => !existsSync(`/proc/${pid}`) || /State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8')), { what: 'tsc-lb gone' });
    const again = net.createServer();
    servers.add(again);
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          again.once('error', () => resolve(false));
          again.listen(port, H, () => resolve(true));
        }),
      { what: 'port free again' },
    );
  });
});
