// Image pull benchmark: pull + unpack of a ~100 MB, 4-layer image from a local docker-registry (127.0.0.1,
// free port), `tscompose image pull` (CLI process, fresh TSCOMPOSE_ROOT each time) vs `skopeo copy
// docker://… oci:DIR` + `umoci unpack` in the same run; then a second image sharing the 3 base layers,
// pulled into a store that has the first: bytes fetched. Needs `npm run build` (dist/) and root.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { has, printTable, row, stats, timeIt } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '../bin/tscompose.js');
const N = Number(process.env.BENCH_N ?? 5);
const work = mkdtempSync(join(tmpdir(), `tsc-bench-image-${process.pid}-`));

if (!has('docker-registry') || !has('skopeo')) {
  console.log('image bench: docker-registry and skopeo are needed; skipped');
  process.exit(0);
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRegistry() {
  const port = await freePort();
  const cfg = join(work, 'registry.yml');
  writeFileSync(cfg, `version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: ${join(work, 'registry')}}}\nhttp: {addr: "127.0.0.1:${port}"}\n`);
  const proc = spawn('docker-registry', ['serve', cfg], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
    if (ok) return { host: `127.0.0.1:${port}`, proc };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('registry did not start');
}

/** A rootfs dir with `files` of `size` bytes each; `kind` random (incompressible) or text (compressible). */
function layer(name, files, size, kind) {
  const d = join(work, 'layers', name);
  for (let i = 0; i < files; i++) {
    const p = join(d, `dir${i % 50}`, `f${i}`);
    mkdirSync(dirname(p), { recursive: true });
    const data = kind === 'random' ? randomBytes(size) : Buffer.from(randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size).replace(/[0-3]/g, ' '));
    writeFileSync(p, data);
  }
  return d;
}

/** docker-save tarball of the given layer dirs, built with GNU tar + skopeo's docker-archive writer. */
function imageArchive(layers, out) {
  const root = join(work, `img-${Math.random().toString(36).slice(2)}`);
  mkdirSync(root);
  const tars = layers.map((l, i) => {
    const t = join(root, `layer${i}.tar`);
    execFileSync('tar', ['--numeric-owner', '-C', l, '-cf', t, '.']);
    return t;
  });
  const sha = (f) => `sha256:${execFileSync('sha256sum', [f]).toString().split(' ')[0]}`;
  const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: tars.map(sha) } });
  writeFileSync(join(root, 'config.json'), cfg);
  writeFileSync(join(root, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['bench/img:1'], Layers: tars.map((t) => t.slice(root.length + 1)) }]));
  execFileSync('tar', ['-C', root, '-cf', out, 'manifest.json', 'config.json', ...tars.map((t) => t.slice(root.length + 1))]);
  rmSync(root, { recursive: true, force: true });
  return out;
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

const reg = await startRegistry();
try {
  const base = [
    layer('base', 1, 1 << 20, 'text'),
    layer('many', 4000, 4096, 'text'),
    layer('blobs', 10, 4 << 20, 'random'),
  ];
  const top = layer('top', 8, 4 << 20, 'text');
  const top2 = layer('top2', 4, 1 << 20, 'random');
  const copy = (file, ref) => run('skopeo', ['copy', '--quiet', '--insecure-policy', '--dest-tls-verify=false', `docker-archive:${file}`, `docker://${reg.host}/${ref}`]);
  copy(imageArchive([...base, top], join(work, 'a.tar')), 'bench/big:1');
  copy(imageArchive([...base, top2], join(work, 'b.tar')), 'bench/big2:1');
  rmSync(join(work, 'layers'), { recursive: true, force: true });
  const ref = `${reg.host}/bench/big:1`;
  const du = (p) => execFileSync('du', ['-sb', p]).toString().split('\t')[0];

  // Variants are interleaved round by round (this host's load varies a lot over minutes); only the pull
  // and unpack are timed, the removal of the previous result is not.
  const { ImageStore } = await import('../dist/image/store.js');
  let k = 0;
  const variants = [
    ['tscompose image pull (CLI process)', async (d) => run(process.execPath, [bin, 'image', 'pull', '-q', ref], { ...process.env, TSCOMPOSE_ROOT: d })],
    ['ImageStore.ensure (in process)', async (d) => { await new ImageStore({ root: d }).ensure(ref, 'always'); }],
  ];
  if (has('umoci')) {
    variants.push(['skopeo copy + umoci unpack', async (d) => {
      run('skopeo', ['copy', '--quiet', '--insecure-policy', '--src-tls-verify=false', `docker://${ref}`, `oci:${d}/oci:1`]);
      run('umoci', ['unpack', '--image', `${d}/oci:1`, `${d}/bundle`]);
    }]);
  }
  const times = variants.map(() => []);
  for (let round = -1; round < N; round++) {
    for (const [i, [, fn]] of variants.entries()) {
      const d = join(work, `run-${k++}`);
      mkdirSync(d);
      const ms = await timeIt(() => fn(d));
      if (round >= 0) times[i].push(ms);
      rmSync(d, { recursive: true, force: true });
    }
  }
  const rows = variants.map(([name], i) => row(name, times[i]));
  if (rows.length === 3) {
    const ratio = times[0].map((t, i) => t / times[2][i]);
    rows.push({ name: 'ratio CLI / (skopeo+umoci), per round', ...stats(ratio), unit: 'x', note: 'target <= 1.0' });
  }
  printTable('pull + unpack, ~100 MB 4-layer image, local registry', rows);

  const root = join(work, 'shared');
  const { lastPullStats } = await import('../dist/image/pull.js');
  const store = new ImageStore({ root });
  await store.ensure(ref, 'always');
  const first = lastPullStats.get(store.dir);
  await store.ensure(`${reg.host}/bench/big2:1`, 'always');
  const second = lastPullStats.get(store.dir);
  console.log(`\nstore size after first image: ${du(root)} bytes`);
  printTable('second image sharing 3 base layers', [
    { name: 'first image: bytes fetched', median: first.bytesFetched, n: 1, unit: 'bytes', note: `${first.layersFetched} layers fetched` },
    { name: 'second image: bytes fetched', median: second.bytesFetched, n: 1, unit: 'bytes', note: `${second.layersFetched} fetched, ${second.layersPresent} already present` },
  ]);
} finally {
  process.kill(reg.proc.pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
