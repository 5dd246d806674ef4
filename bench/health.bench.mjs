// Health check overhead: the cost of one probe exec'd into a running busybox container through
// NativeRuntime (tsc-runtime exec), and of one full HealthChecker probe (exec + state machine).
// Side by side with `crun exec` when crun is installed is not possible on the same container, so the
// peer row is omitted; the raw `tsc-runtime exec` CLI cost is shown instead.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, chmodSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeRuntime } from '../dist/runtime/native-runtime.js';
import { HealthChecker } from '../dist/health/checker.js';
import { printTable, row, sample } from './lib.mjs';

const N = Number(process.env.BENCH_N ?? 30);
const base = mkdtempSync(join(tmpdir(), 'tsc-bench-health-'));

function rootfs() {
  const dir = join(base, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'true', 'false', 'sleep', 'test', 'cat']) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  return dir;
}

function service() {
  return {
    name: 'bench', pullPolicy: 'missing', command: ['sleep', '600'], environment: {}, labels: {}, annotations: {}, init: false, tty: false,
    stdinOpen: false, privileged: false, readOnly: false, capAdd: [], capDrop: [], securityOpt: [], groupAdd: [], stopGracePeriodMs: 1000,
    ports: [], expose: [], volumes: [], volumesFrom: [], dependsOn: {}, replicas: 1, restart: { condition: 'no' },
    resources: { blkioDeviceReadBps: [], blkioDeviceWriteBps: [], blkioDeviceReadIops: [], blkioDeviceWriteIops: [] },
    updateConfig: { parallelism: 1, delayMs: 0, order: 'stop-first', failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0 },
    networkMode: { kind: 'none' }, networks: {}, extraHosts: [], dns: [], dnsSearch: [], dnsOpt: [], sysctls: {}, ulimits: {}, tmpfs: [],
    profiles: [], tscompose: { lb: 'round-robin' }, extensions: {},
  };
}

const rt = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run') });
const id = `bench-health-${process.pid}`;
try {
  const image = { id: 'sha256:' + '0'.repeat(64), references: [], layerDirs: [rootfs()], config: { env: ['PATH=/bin'], exposedPorts: [], volumes: [], labels: {} }, os: 'linux', architecture: 'amd64', sizeBytes: 0 };
  await rt.create({ id, name: id, project: 'bench', service: 'bench', number: 1, spec: service(), image, mounts: [], labels: {} });
  await rt.start(id);

  const execTrue = await sample(N, () => rt.exec(id, { argv: ['true'], timeoutMs: 10_000 }));
  const execShell = await sample(N, () => rt.exec(id, { argv: ['/bin/sh', '-c', 'test -d /tmp'], timeoutMs: 10_000 }));
  const checker = new HealthChecker({
    containerId: id, service: 'bench', onEvent: () => undefined,
    probe: { argv: ['/bin/sh', '-c', 'true'], intervalMs: 3_600_000, timeoutMs: 10_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5000 },
    exec: (argv, timeoutMs) => rt.exec(id, { argv, timeoutMs }),
  });
  const probe = await sample(N, () => checker.probeOnce());
  await checker.stop();
  const cli = await sample(N, async () => {
    const r = spawnSync(rt.binary, ['--root', rt.runtimeRoot, 'exec', id, '--', 'true']);
    if (r.status !== 0) throw new Error(`tsc-runtime exec failed: ${r.stderr}`);
  });
  printTable('health probe cost (busybox container, one probe at a time)', [
    row('NativeRuntime.exec ["true"]', execTrue),
    row('NativeRuntime.exec CMD-SHELL "test -d /tmp"', execShell),
    row('HealthChecker.probeOnce (CMD-SHELL true)', probe),
    row('tsc-runtime exec CLI alone (spawnSync)', cli, { note: 'no Node async overhead' }),
  ]);
} finally {
  await rt.remove(id, { force: true }).catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
}
