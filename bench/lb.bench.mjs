// Load balancer throughput: wrk through tscompose's LB vs haproxy (Debian, mode tcp, roundrobin, nbthread 2)
// in front of the same 3 Node http backends vs direct to one backend; keep-alive and a new connection per
// request. Everything on loopback; one run, rounds interleaved; bounded duration (~1 min).
// The LB is tsc-lb (native/lb) with LB_BENCH_WORKERS threads (default 2). LB_BENCH_COMPARE=/path/to/balancer.js
// adds a column for another build of the LoadBalancer (e.g. a previous commit's dist/), measured in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { has, printTable, stats } from './lib.mjs';

const DUR = process.env.LB_BENCH_SECONDS ?? '4';
const ROUNDS = Number(process.env.LB_BENCH_ROUNDS ?? 2);
const dir = mkdtempSync(join(tmpdir(), 'tsc-lbbench-'));
const procs = [];

function freePort() {
  return new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
}
async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((res) => { const c = net.connect(port, '127.0.0.1'); c.on('connect', () => { c.destroy(); res(true); }); c.on('error', () => res(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`port ${port} never answered`);
}
function start(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  procs.push(p);
  return p;
}
function cleanup() {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);

function wrk(port, close) {
  const args = ['-t2', '-c50', `-d${DUR}s`, '--latency', ...(close ? ['-H', 'Connection: close'] : []), `http://127.0.0.1:${port}/`];
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const m = /\s99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const p99 = m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  const errs = /Socket errors: (.*)/.exec(r.stdout)?.[1];
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { rps, p99, errs, non2xx };
}

if (!has('wrk')) {
  console.log('wrk not installed: skipping the LB benchmark');
  process.exit(0);
}

const backendJs = join(dir, 'backend.mjs');
writeFileSync(backendJs, `import http from 'node:http';
const port = +process.argv[2];
http.createServer((q, r) => { r.writeHead(200, { 'content-type': 'text/plain' }); r.end('hello from ' + port + '\\n'); }).listen(port, '127.0.0.1');
`);
const backends = [await freePort(), await freePort(), await freePort()];
for (const p of backends) start(process.execPath, [backendJs, String(p)]);
for (const p of backends) await waitPort(p);

const W = Number(process.env.LB_BENCH_WORKERS ?? 2);
async function startLb(modUrl) {
  const port = await freePort();
  const js = join(dir, `lb-${port}.mjs`);
  writeFileSync(js, `import { LoadBalancer } from ${JSON.stringify(modUrl)};
const lb = new LoadBalancer({ workers: ${W} });
await lb.listen({ key: 'bench', host: '127.0.0.1', port: ${port}, protocol: 'tcp', pool: 'p' });
lb.setPool('p', ${JSON.stringify(backends)}.map((port) => ({ id: 'b' + port, host: '127.0.0.1', port })));
`);
  start(process.execPath, [js]);
  await waitPort(port);
  return port;
}
const lbPort = await startLb(new URL('../dist/network/lb/balancer.js', import.meta.url).href);
const ok = `tscompose LB (tsc-lb, ${W} threads)`;
const targets = [{ name: 'direct to one backend', port: backends[0] }, { name: ok, port: lbPort }];
if (process.env.LB_BENCH_COMPARE) targets.push({ name: `LB of ${process.env.LB_BENCH_COMPARE}`, port: await startLb(new URL(`file://${process.env.LB_BENCH_COMPARE}`).href) });
if (has('haproxy')) {
  const hp = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, `global\n  nbthread 2\n  maxconn 4000\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nfrontend f\n  bind 127.0.0.1:${hp}\n  default_backend b\nbackend b\n  balance roundrobin\n${backends.map((p, i) => `  server s${i} 127.0.0.1:${p}\n`).join('')}`);
  start('haproxy', ['-f', cfg, '-db']);
  await waitPort(hp);
  targets.push({ name: 'haproxy 2.6 mode tcp nbthread 2', port: hp });
} else console.log('haproxy not installed: no peer column');

// warm-up (JIT, connection pools), not recorded
for (const t of targets) spawnSync('wrk', ['-t2', '-c50', '-d1s', `http://127.0.0.1:${t.port}/`], { stdio: 'ignore' });
for (const t of targets) spawnSync('wrk', ['-t2', '-c50', '-d1s', '-H', 'Connection: close', `http://127.0.0.1:${t.port}/`], { stdio: 'ignore' });

const res = new Map();
for (let r = 0; r < ROUNDS; r++) {
  for (const close of [false, true]) {
    for (const t of targets) {
      if (close && t.port === backends[0] && r > 0) continue;
      const k = `${t.name}|${close ? 'close' : 'keepalive'}`;
      const w = wrk(t.port, close);
      if (!res.has(k)) res.set(k, []);
      res.get(k).push(w);
    }
  }
}
const rows = [];
const summary = {};
for (const [k, ws] of res) {
  const [name, mode] = k.split('|');
  const rps = stats(ws.map((w) => w.rps));
  const p99 = stats(ws.map((w) => w.p99));
  summary[k] = { rps: rps.median, p99: p99.median };
  const errs = ws.map((w) => w.errs).filter(Boolean).join('; ');
  rows.push({ name: `${name}, ${mode === 'close' ? 'new connection per request' : 'keep-alive'}: req/s`, ...rps, unit: 'req/s', note: errs ? `socket errors: ${errs}` : '' });
  rows.push({ name: `${name}, ${mode === 'close' ? 'new connection per request' : 'keep-alive'}: p99`, ...p99, unit: 'ms' });
}
printTable(`LB: wrk -t2 -c50 -d${DUR}s, 3 Node http backends on loopback, ${ROUNDS} rounds`, rows);
const hk = 'haproxy 2.6 mode tcp nbthread 2';
// ratios per round (both measured back to back), then their median: steadier than a ratio of medians on a busy host
const median = (xs) => stats(xs).median;
for (const name of targets.map((t) => t.name).filter((n) => n !== hk && !n.startsWith('direct'))) {
  for (const mode of ['keepalive', 'close']) {
    const a = res.get(`${name}|${mode}`);
    const b = res.get(`${hk}|${mode}`);
    if (!a || !b) continue;
    const rps = median(a.map((w, i) => w.rps / b[i].rps));
    const p99 = median(a.map((w, i) => w.p99 / b[i].p99));
    console.log(`ratio ${name}, ${mode}: req/s ${rps.toFixed(2)}x haproxy (target >= 0.8-1.0), p99 ${p99.toFixed(2)}x haproxy (target <= 1.2-1.5) (median of ${a.length} rounds)`);
  }
}

// memory: what a LoadBalancer with one listener adds to its Node process, and the tsc-lb process itself
const rssJs = join(dir, 'rss.mjs');
writeFileSync(rssJs, `import { readFileSync } from 'node:fs';
const { LoadBalancer } = await import(process.argv[2]);
const rss = (pid) => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/' + pid + '/status', 'utf8'))[1]) / 1024;
const before = rss(process.pid);
const lb = new LoadBalancer({ workers: ${W} });
await lb.listen({ key: 'k', host: '127.0.0.1', port: 0, protocol: 'tcp', pool: 'p' });
lb.setPool('p', [{ id: 'a', host: '127.0.0.1', port: 1 }]);
await new Promise((r) => setTimeout(r, 1000));
console.log(JSON.stringify({ node: rss(process.pid) - before, lb: lb.pid ? rss(lb.pid) : 0 }));
await lb.close();
`);
const memRows = [];
for (const [label, mod] of [[ok, new URL('../dist/network/lb/balancer.js', import.meta.url).href], ...(process.env.LB_BENCH_COMPARE ? [[`LB of ${process.env.LB_BENCH_COMPARE}`, `file://${process.env.LB_BENCH_COMPARE}`]] : [])]) {
  const ms = [];
  for (let i = 0; i < 3; i++) ms.push(JSON.parse(spawnSync(process.execPath, [rssJs, mod], { encoding: 'utf8' }).stdout.trim()));
  memRows.push({ name: `${label}: RSS added to the Node process`, ...stats(ms.map((m) => m.node)), unit: 'MiB' });
  if (ms.some((m) => m.lb > 0)) memRows.push({ name: `${label}: RSS of the tsc-lb process`, ...stats(ms.map((m) => m.lb)), unit: 'MiB' });
}
printTable('LB memory (one listener, idle)', memRows);
cleanup();
process.exit(0);
