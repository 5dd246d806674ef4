// The 3-service busybox stack of ../shared/BENCHMARKS.md through the real CLI: web (httpd, published port),
// worker (shell loop), cache (nc listener); every PID 1 traps TERM, so `down` measures the tool.
// Runs the same rounds through Debian's docker-compose 1.29 + a private dockerd 20.10 when installed
// (bench/peer-docker.mjs; `bash scripts/install-peers.sh`), and prints our figures as ratios to it next to the
// target ratios of BENCHMARKS (target ms / best peer ms of the day the peers were measured).
// Measures: `up -d` until all 3 running, `up -d` until the first HTTP 200 on the published port, `down`,
// scale worker 1 -> 20 and 20 -> 1 (until done), `ps` latency, supervisor RSS with 100 containers.
// The published port is a random free high port (8080 may be taken on a shared machine).
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ImageStore } from '../dist/image/store.js';
import { importRootfs } from '../dist/image/import.js';
import { printTable, row, stats } from './lib.mjs';
import { dockerPeerMissing, startDockerPeer } from './peer-docker.mjs';

const N = Number(process.env.BENCH_N ?? 5);
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin/tscompose.js');
// what a user runs: the `tscompose` command (package.json "bin"), which starts Node without
// NODE_EXTRA_CA_CERTS; `ps` is measured through `node bin/tscompose.js` too
const command = join(repo, 'bin/tscompose');
const base = mkdtempSync(join(tmpdir(), 'tsc-bst-'));
const env = { ...process.env, TSCOMPOSE_ROOT: join(base, 'root'), TSCOMPOSE_RUN_DIR: join(base, 'run'), TSCOMPOSE_NET_RUN: join(base, 'run', 'net') };
const project = `bst${process.pid}`;
const dir = join(base, project);
let peer; // the docker-compose peer, while it runs
const peerProject = `bstp${process.pid}`;

function rootfs() {
  const d = join(base, 'rootfs');
  for (const s of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'var/www']) mkdirSync(join(d, s), { recursive: true });
  chmodSync(join(d, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(d, 'bin/busybox'));
  chmodSync(join(d, 'bin/busybox'), 0o755);
  for (const a of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    if (a !== 'busybox') symlinkSync('busybox', join(d, 'bin', a));
  }
  writeFileSync(join(d, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(d, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(d, 'var/www/index.html'), 'hello\n');
  return d;
}

async function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function cli(args, viaNode = false) {
  return new Promise((res, rej) => {
    const argv = ['-p', project, '--progress', 'quiet', ...args];
    const c = viaNode ? spawn(process.execPath, [bin, ...argv], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(command, argv, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`tscompose ${args.join(' ')}: ${code}\n${err}`))));
  });
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function running() {
  // JSON Lines, as Compose prints `ps --format json` (older builds: one array)
  const out = (await cli(['ps', '--format', 'json'])).trim();
  const rows = out.startsWith('[') ? JSON.parse(out) : out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return rows.filter((r) => r.State === 'running').length;
}

// BENCHMARKS' stack; every PID 1 traps TERM. Each waits for its child with `wait`, which a trapped
// signal interrupts at once: a shell runs a trap only after its foreground command ends, so a worker
// looping on a foreground `sleep 0.2` held every TERM for up to 200 ms of its own (100 on average, the
// slowest of 19 nearly 200 in a scale 20 -> 1), time of the stack, not of the tool, in both tools' figures.
function composeYaml(port) {
  return `services:
  web:
    image: busybox:latest
    ports: ["127.0.0.1:${port}:80"]
    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /var/www & wait"]
  worker:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2 & wait; done"]
  cache:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do nc -l -p 6379 -e cat; done & wait"]
`;
}

/**
 * One GET / over a raw socket: true on an HTTP 200 status line. Not fetch(): undici's per-request work
 * took a good part of a core at a 5 ms poll, CPU the tool under test (and its containers) lost while they
 * started, on these 2-core hosts; the same probe runs for the peer.
 */
function get200(port) {
  return new Promise((res) => {
    let head = '';
    const s = connect({ port, host: '127.0.0.1' }, () => s.write('GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'));
    const done = (ok) => {
      s.destroy();
      res(ok);
    };
    s.setEncoding('latin1');
    s.on('data', (d) => {
      head += d;
      if (head.includes('\r\n')) done(/^HTTP\/1\.[01] 200 /.test(head));
    });
    s.on('error', () => done(false));
    s.on('end', () => done(false));
    s.setTimeout(2000, () => done(false));
  });
}

async function firstHttp200(port) {
  while (!(await get200(port))) await new Promise((r) => setTimeout(r, 5));
}

/** N × (up -d, down), then N × up -d until the first HTTP 200 (left up at the end). */
async function upDownRounds(tool) {
  const upAll = [];
  const downs = [];
  const coldUp = [];
  const upHttp = [];
  for (let i = 0; i < N; i++) {
    // first round starts the supervisor; later rounds after `down` start it again (cold), as a user would
    const t = await timed(tool.up);
    (i === 0 ? coldUp : upAll).push(t);
    downs.push(await timed(tool.down));
  }
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const up = tool.up();
    await firstHttp200(tool.port);
    upHttp.push(performance.now() - t0);
    await up;
    if (i < N - 1) await tool.down();
  }
  return { upAll, coldUp, downs, upHttp };
}

/** scale worker 1 -> 20 -> 1, each until done; checks that 22 containers ran. */
async function scaleRounds(tool) {
  const s20 = [];
  const s1 = [];
  for (let i = 0; i < Math.max(2, Math.ceil(N / 2)); i++) {
    s20.push(await timed(() => tool.scale(20)));
    const r20 = await tool.running();
    if (r20 !== 22) throw new Error(`${tool.name}: scale 1 -> 20: ${r20} running, not 22${tool.diagnose?.() ?? ''}`);
    s1.push(await timed(() => tool.scale(1)));
  }
  return { s20, s1 };
}

async function main() {
  const tar = join(base, 'rootfs.tar');
  execFileSync('tar', ['-C', rootfs(), '-cf', tar, '.']);
  await importRootfs(new ImageStore({ root: env.TSCOMPOSE_ROOT }), tar, 'busybox:latest', { changes: { cmd: ['sh'] } });
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), composeYaml(port));
  // ours and the peer run the same rounds through `tool`: up/down pairs, up until the first HTTP 200, scale
  const ours = { up: () => cli(['up', '-d']), down: () => cli(['down', '-t', '5']), port };
  const { upAll, coldUp, downs, upHttp } = await upDownRounds(ours);
  const nodeT = [];
  const nodeBareT = [];
  const versionT = [];
  // the `tscompose` command starts Node without NODE_EXTRA_CA_CERTS (bin/tscompose): a bare Node start is its floor
  const { NODE_EXTRA_CA_CERTS: _ca, ...bareEnv } = process.env;
  for (let i = 0; i < N * 2; i++) {
    nodeT.push(await timed(() => new Promise((res) => spawn(process.execPath, ['-e', '0']).on('close', res))));
    nodeBareT.push(await timed(() => new Promise((res) => spawn(process.execPath, ['-e', '0'], { env: bareEnv }).on('close', res))));
    versionT.push(await timed(() => cli(['--version'])));
  }
  const psT = [];
  const psNodeT = [];
  for (let i = 0; i < N * 2; i++) {
    psT.push(await timed(() => cli(['ps'])));
    psNodeT.push(await timed(() => cli(['ps'], true)));
  }
  Object.assign(ours, {
    name: 'tscompose',
    scale: (n) => cli(['scale', `worker=${n}`]),
    running,
    diagnose: () => `\n${readFileSync(join(env.TSCOMPOSE_ROOT, 'projects', project, 'supervisor.log'), 'utf8').slice(-3000)}`,
  });
  const { s20, s1 } = await scaleRounds(ours);
  await cli(['scale', 'worker=98']);
  const n = await running();
  const pid = JSON.parse(readFileSync(join(env.TSCOMPOSE_ROOT, 'projects', project, 'supervisor.lock'), 'utf8')).pid;
  await new Promise((r) => setTimeout(r, 6000)); // a resync pass or two with 100 containers
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  await cli(['down', '-t', '5']);
  printTable('stack (3 busybox services, real CLI)', [
    row('up -d, cold supervisor, until 3 running', coldUp),
    row('up -d until 3 running (target 120)', upAll, { note: 'supervisor started by up after each down' }),
    row('up -d until first HTTP 200 (target 150)', upHttp),
    row('down, 3 services (target 100)', downs),
    row('scale worker 1 -> 20 until running (target 250)', s20),
    row('scale worker 20 -> 1 (target 150)', s1),
    row('ps (target 100)', psT),
    row('ps as `node bin/tscompose.js ps`', psNodeT),
    row('baseline: node -e 0', nodeT, { note: 'same run: compare ratios' }),
    row('baseline: node -e 0 without NODE_EXTRA_CA_CERTS', nodeBareT, { note: 'BENCHMARKS: ~40 ms on a quiet day' }),
    row('baseline: tscompose --version', versionT),
    row(`supervisor RSS with ${n} containers (target 80)`, [rss], { unit: 'MiB' }),
  ]);
  const p = await peerRounds(tar);
  if (!p) return;
  printTable(`peer: ${p.name}, same stack, same run`, [
    row('up -d, first round, until 3 running', p.coldUp),
    row('up -d until 3 running', p.upAll),
    row('up -d until first HTTP 200', p.upHttp),
    row('down, 3 services', p.downs),
    row('scale worker 1 -> 20 until running', p.s20, { note: 'up -d --scale worker=20' }),
    row('scale worker 20 -> 1', p.s1, { note: 'up -d --scale worker=1' }),
    row('ps', p.psT),
  ]);
  // BENCHMARKS: target = ratio to the best peer of the day the peers were measured (target ms / peer ms)
  const ratios = [
    ['up -d until 3 running', upAll, p.upAll, 120, 1165],
    ['up -d until first HTTP 200', upHttp, p.upHttp, 150, 1176],
    ['down, 3 services', downs, p.downs, 100, 773],
    ['scale worker 1 -> 20', s20, p.s20, 250, 3745],
    ['scale worker 20 -> 1', s1, p.s1, 150, 1887],
  ];
  console.log(`\n## tscompose ÷ ${p.name} (medians, same run) against BENCHMARKS' target ratios`);
  console.log('| what | tscompose | peer | ratio | target ratio | target today (ms) | |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [what, a, b, target, best] of ratios) {
    const ours = stats(a).median;
    const theirs = stats(b).median;
    const goal = target / best;
    const r = ours / theirs;
    console.log(`| ${what} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${r.toFixed(3)} | ${goal.toFixed(3)} (${target}/${best}) | ${(goal * theirs).toFixed(0)} | ${r <= goal ? 'met' : 'missed'} |`);
  }
}

/** The same rounds through docker-compose against a private dockerd, when installed. */
async function peerRounds(tar) {
  const missing = dockerPeerMissing();
  if (missing) {
    console.log(`\n(peer docker-compose not run: ${missing}; BENCHMARKS' targets are ratios to a peer measured in the same run)`);
    return undefined;
  }
  peer = await startDockerPeer(tar);
  const cwd = join(base, 'peer');
  mkdirSync(cwd, { recursive: true });
  const port = await freePort();
  writeFileSync(join(cwd, 'compose.yaml'), composeYaml(port));
  const compose = (args) => peer.compose(peerProject, cwd, args);
  const tool = {
    name: peer.name,
    port,
    up: () => compose(['up', '-d']),
    down: () => compose(['down', '-t', '5']),
    scale: (n) => compose(['up', '-d', '--scale', `worker=${n}`]),
    running: async () => (await compose(['ps', '-q'])).split('\n').filter(Boolean).length,
  };
  const rounds = await upDownRounds(tool);
  const psT = [];
  for (let i = 0; i < N; i++) psT.push(await timed(() => compose(['ps'])));
  const scaled = await scaleRounds(tool);
  await tool.down();
  return { name: peer.name, ...rounds, ...scaled, psT };
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
}).finally(async () => {
  spawnSync(process.execPath, [bin, '-p', project, 'down', '--volumes', '-t', '1'], { cwd: dir, env, stdio: 'ignore' });
  try {
    const pid = JSON.parse(readFileSync(join(env.TSCOMPOSE_ROOT, 'projects', project, 'supervisor.lock'), 'utf8')).pid;
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
  const rt = join(repo, 'native/build/tsc-runtime');
  try {
    for (const id of readdirSync(join(env.TSCOMPOSE_ROOT, 'containers'))) spawnSync(rt, ['--root', join(env.TSCOMPOSE_RUN_DIR, 'runtime'), 'delete', '--force', id], { stdio: 'ignore' });
  } catch {
    // none
  }
  if (peer) await peer.stop([peerProject]);
  rmSync(base, { recursive: true, force: true });
});
