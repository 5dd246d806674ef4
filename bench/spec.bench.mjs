// Spec loading: loadProject of a generated 500-service file in-process, and the cold start of
// `tscompose config -q` and `ps` on a 3-service file next to `node -e 0` in the same run (targets: ≤ 100 ms; ≤ 1.5x).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printTable, row, sample, stats } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'bin', 'tscompose.js');
const { loadProject } = await import(join(here, '..', 'dist', 'spec', 'index.js'));

function bigFile(n) {
  const out = ['x-common: &common', '  restart: unless-stopped', '  labels:', '    com.example.team: bench', 'services:'];
  for (let i = 0; i < n; i++) {
    out.push(
      `  svc${i}:`,
      '    <<: *common',
      `    image: "registry.example/app${i % 17}:\${TAG:-1.${i % 9}}"`,
      `    command: ["serve", "--port", "${8000 + (i % 1000)}"]`,
      `    ports: ["${20000 + i}:80", "127.0.0.1:${30000 + i}:443/tcp"]`,
      '    environment:',
      `      SERVICE_INDEX: "${i}"`,
      '      LOG_LEVEL: ${LOG_LEVEL:-info}',
      `    volumes: ["data${i % 10}:/data", "./conf/${i}:/etc/app:ro"]`,
      `    networks: [front, back]`,
      i > 0 ? `    depends_on: [svc${i - 1}]` : '    depends_on: []',
      '    healthcheck:',
      '      test: ["CMD-SHELL", "wget -qO- http://localhost/health || exit 1"]',
      '      interval: 10s',
      '      retries: 3',
      '    deploy:',
      '      resources: {limits: {memory: 256m, cpus: "0.5"}}',
    );
  }
  out.push('networks:', '  front: {}', '  back: {internal: true}', 'volumes:');
  for (let v = 0; v < 10; v++) out.push(`  data${v}: {}`);
  return out.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), `spec-bench-${process.pid}-`));
try {
  writeFileSync(join(dir, 'big.yaml'), bigFile(500));
  writeFileSync(join(dir, 'small.yaml'), 'services:\n  web: {image: nginx, ports: ["80:80"], depends_on: [db]}\n  db: {image: postgres:16}\n  cache: {image: redis:7}\n');
  const bigOpts = { files: [join(dir, 'big.yaml')], cwd: dir, env: {} };
  const big = await sample(20, () => loadProject(bigOpts), { warmup: 3 });
  // CPU time as well: on a loaded machine wall time says more about the neighbours than about us
  const bigCpu = [];
  for (let i = 0; i < 20; i++) {
    const c0 = process.cpuUsage();
    await loadProject(bigOpts);
    const c = process.cpuUsage(c0);
    bigCpu.push((c.user + c.system) / 1000);
  }
  printTable('spec: loadProject, generated 500-service file (in-process; target ≤ 100 ms)', [
    row('loadProject 500 services (wall)', big),
    row('loadProject 500 services (cpu)', bigCpu),
  ]);

  // CPU time of waited-for children (utime+stime from /proc/self/stat, in clock ticks of 10 ms)
  const childCpu = () => {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[13]) + Number(f[14])) * 10;
  };
  // ps with no supervisor and no containers: it loads the project (for its name) and reads the runtime's records
  const cliEnv = { ...process.env, TSCOMPOSE_ROOT: join(dir, 'root'), TSCOMPOSE_RUN_DIR: join(dir, 'run') };
  const cpu = { cold: 0, ps: 0, bare: 0 };
  const run = (argv, which) => {
    const c0 = childCpu();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: cliEnv });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
    const dt = performance.now() - t0;
    if (which) cpu[which] += childCpu() - c0;
    return dt;
  };
  const cold = [];
  const ps = [];
  const bare = [];
  const N = 25;
  for (let i = 0; i < 3; i++) { run([cli, '-f', 'small.yaml', 'config', '-q']); run([cli, '-f', 'small.yaml', 'ps']); run(['-e', '0']); }
  for (let i = 0; i < N; i++) {
    cold.push(run([cli, '-f', 'small.yaml', 'config', '-q'], 'cold'));
    ps.push(run([cli, '-f', 'small.yaml', 'ps'], 'ps'));
    bare.push(run(['-e', '0'], 'bare'));
  }
  const note = (t, which) => `${(stats(t).median / stats(bare).median).toFixed(2)}x node -e 0 (wall); mean cpu ${(cpu[which] / N).toFixed(0)} ms = ${(cpu[which] / cpu.bare).toFixed(2)}x`;
  printTable('spec: cold CLI start (target ≤ 1.5x node -e 0 and ≤ 150 ms; ps ≤ 100 ms)', [
    row('tscompose -f small.yaml config -q', cold, { note: note(cold, 'cold') }),
    row('tscompose -f small.yaml ps (no containers)', ps, { note: note(ps, 'ps') }),
    row('node -e 0', bare, { note: `mean cpu ${(cpu.bare / N).toFixed(0)} ms` }),
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
