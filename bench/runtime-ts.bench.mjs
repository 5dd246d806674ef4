// The TypeScript runtime layer (src/runtime NativeRuntime over native/build/tsc-runtime):
// create+start+wait of /bin/true, remove, inspect and list latency; `tsc-runtime run` alone as the floor.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, row, sample } from './lib.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { NativeRuntime } = await import(join(repo, 'dist/runtime/native-runtime.js'));
const N = Number(process.env.BENCH_N ?? 50);

function rootfs() {
  const cached = join(process.env.TSCOMPOSE_TEST_CACHE ?? join(tmpdir(), 'tscompose-test-cache'), 'busybox-rootfs');
  if (existsSync(join(cached, '.complete'))) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'tsc-bench-rootfs-'));
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(dir, d));
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  for (const a of ['sh', 'true', 'sleep']) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  return dir;
}

const base = mkdtempSync(join(tmpdir(), 'tsc-bench-rt-'));
const rt = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run') });
const layer = rootfs();
const spec = {
  name: 'b', pullPolicy: 'missing', command: ['/bin/true'], environment: {}, labels: {}, annotations: {}, init: false, tty: false,
  stdinOpen: false, privileged: false, readOnly: false, capAdd: [], capDrop: [], securityOpt: [], groupAdd: [], stopGracePeriodMs: 10000,
  ports: [], expose: [], volumes: [], volumesFrom: [], dependsOn: {}, replicas: 1, restart: { condition: 'no' },
  resources: { blkioDeviceReadBps: [], blkioDeviceWriteBps: [], blkioDeviceReadIops: [], blkioDeviceWriteIops: [] },
  updateConfig: { parallelism: 1, delayMs: 0, order: 'stop-first', failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0 },
  networkMode: { kind: 'none' }, networks: {}, extraHosts: [], dns: [], dnsSearch: [], dnsOpt: [], sysctls: {}, ulimits: {}, tmpfs: [],
  profiles: [], tscompose: { lb: 'round-robin' }, extensions: {},
};
const image = { id: 'sha256:' + '0'.repeat(64), references: [], layerDirs: [layer], config: { env: [], exposedPorts: [], volumes: [], labels: {} }, os: 'linux', architecture: 'amd64', sizeBytes: 0 };
let seq = 0;
const req = (over = {}) => {
  const id = `bench-${process.pid}-${seq++}`;
  return { id, name: id, project: 'bench', service: 'b', number: 1, spec: { ...spec, ...over }, image, mounts: [], labels: {} };
};

const rows = [];
const ids = [];
const phase = { create: [], start: [], wait: [] };
const lap = async (k, fn) => {
  const t0 = performance.now();
  const v = await fn();
  phase[k].push(performance.now() - t0);
  return v;
};
const cycle = await sample(N, async (i) => {
  const r = req();
  ids.push(r.id);
  const timed = i >= 0;
  const run = timed ? lap : (_k, fn) => fn();
  await run('create', () => rt.create(r));
  await run('start', () => rt.start(r.id));
  const e = await run('wait', () => rt.wait(r.id));
  if (e.exitCode !== 0) throw new Error(`exit ${e.exitCode}`);
});
rows.push(row('NativeRuntime create+start+wait /bin/true', cycle, { note: 'overlay, new netns, cgroups' }));
for (const k of Object.keys(phase)) rows.push(row(`  of which ${k}`, phase[k]));

const inspect = await sample(N, async () => { await rt.inspect(ids[0]); });
rows.push(row('inspect (stopped container)', inspect));
const list = await sample(20, async () => { await rt.list(); });
rows.push(row(`list (${ids.length} containers)`, list));

let k = 0;
const rm = await sample(Math.min(N, ids.length - 2), async () => { await rt.remove(ids[k++]); }, { warmup: 0 });
rows.push(row('remove (stopped)', rm));
for (const id of ids.slice(k)) await rt.remove(id, { force: true }).catch(() => {});

// floor: the same bundle through `tsc-runtime run` directly (no TS layer)
const pre = req();
await rt.create(pre);
await rt.start(pre.id);
await rt.wait(pre.id);
const bundle = join(base, 'root', 'containers', pre.id, 'bundle');
let j = 0;
const raw = await sample(N, async () => {
  const id = `raw-${process.pid}-${j++}`;
  const r = spawnSync(rt.binary, ['--root', join(base, 'run'), 'run', '--bundle', bundle, id], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`tsc-runtime run: status ${r.status}`);
  spawnSync(rt.binary, ['--root', join(base, 'run'), 'delete', '--force', id], { stdio: 'ignore' });
});
rows.push(row('tsc-runtime run + delete (floor, no TS layer)', raw));
await rt.remove(pre.id, { force: true });

// 20 in parallel
const par = [];
for (let round = 0; round < 3; round++) {
  const batch = Array.from({ length: 20 }, () => req());
  const t0 = performance.now();
  await Promise.all(batch.map(async (r) => { await rt.create(r); await rt.start(r.id); await rt.wait(r.id); }));
  par.push((performance.now() - t0) / 20);
  await Promise.all(batch.map((r) => rt.remove(r.id, { force: true })));
}
rows.push(row('20 in parallel: wall time / container', par, { note: 'create+start+wait' }));

printTable('TS runtime layer (NativeRuntime)', rows);
rmSync(base, { recursive: true, force: true });
try { execFileSync('true'); } catch {}
