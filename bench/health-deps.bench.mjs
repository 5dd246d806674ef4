// Time from a dependency becoming healthy to its dependent's PID 1 running, through the whole stack
// (`tscompose up -d` with depends_on: service_healthy). The back writes a ready file 1 s after it starts;
// its healthcheck probes every 100 ms. Stamps come from /proc/uptime (host clock, 10 ms resolution):
//   ready → front started = probe interval wait + probe + controller reaction + container start.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '../dist/image/store.js';
import { importRootfs } from '../dist/image/import.js';
import { printTable, row } from './lib.mjs';

const N = Number(process.env.BENCH_N ?? 5);
const repo = fileURLToPath(new URL('..', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'tsc-bhd-'));
const env = { ...process.env, TSCOMPOSE_ROOT: join(base, 'root'), TSCOMPOSE_RUN_DIR: join(base, 'run'), TSCOMPOSE_NET_RUN: join(base, 'run', 'net'), TSCOMPOSE_NETWORK: 'none' };

function rootfs() {
  const dir = join(base, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'test', 'sed', 'cat', 'true']) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  return dir;
}

const cli = (dir, name, args) => spawnSync(process.execPath, [join(repo, 'bin/tscompose.js'), '-p', name, ...args], { cwd: dir, env, encoding: 'utf8' });

const compose = `services:
  back:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1; sed 's/ .*//' /proc/uptime > /stamps/ready; touch /tmp/ready; while true; do sleep 1; done"]
    volumes: ["./stamps:/stamps"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 100ms
      start_interval: 100ms
      start_period: 10s
  front:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sed 's/ .*//' /proc/uptime > /stamps/started; while true; do sleep 1; done"]
    volumes: ["./stamps:/stamps"]
    network_mode: none
    depends_on:
      back:
        condition: service_healthy
`.replace('  back:\n    image', '  back:\n    network_mode: none\n    image');

const samples = [];
try {
  const tar = join(base, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '-C', rootfs(), '-cf', tar, '.']);
  await importRootfs(new ImageStore({ root: env.TSCOMPOSE_ROOT }), tar, 'busybox:latest', { changes: { cmd: ['sh'] } });
  for (let i = 0; i < N; i++) {
    const name = `bhd${process.pid}n${i}`;
    const dir = join(base, name);
    mkdirSync(join(dir, 'stamps'), { recursive: true });
    writeFileSync(join(dir, 'compose.yaml'), compose);
    try {
      const up = cli(dir, name, ['up', '-d']);
      if (up.status !== 0) throw new Error(`up failed: ${up.stderr}`);
      const ready = Number(readFileSync(join(dir, 'stamps', 'ready'), 'utf8'));
      const started = Number(readFileSync(join(dir, 'stamps', 'started'), 'utf8'));
      samples.push((started - ready) * 1000);
    } finally {
      cli(dir, name, ['down', '--volumes', '-t', '1']);
      try {
        const pid = JSON.parse(readFileSync(join(env.TSCOMPOSE_ROOT, 'projects', name, 'supervisor.lock'), 'utf8')).pid;
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // no supervisor left
      }
    }
  }
  printTable('dependency healthy → dependent started (tscompose up -d, probe interval 100 ms)', [
    row('back ready file → front PID 1 running', samples, { note: 'includes up to one 100 ms probe interval; 10 ms stamp resolution' }),
  ]);
} finally {
  rmSync(base, { recursive: true, force: true });
}
