// Native runtime benchmark (issue 4): run-to-exit of /bin/true in a fresh container — overlay rootfs + /proc +
// /dev + /sys + a new netns (+ pid, ipc, uts, mount namespaces, Docker's caps/masked/read-only paths, a v1
// cgroup) — with `tsc-runtime run --rm`, side by side with `crun run` and `runc run` on the same bundle, in one
// run. crun/runc get the plain busybox dir as root.path (they know no overlay annotations); tsc-runtime is
// measured on both; also both with Docker's default seccomp profile (what service containers get). Also: shim RSS
// with a sleeping container, and 20 containers started in parallel.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { has, printTable, row, sample, stats } from './lib.mjs';

// crun 1.8 refuses this cgroup v1 "hybrid" host while /sys/fs/cgroup/unified carries a controller (hugetlb).
// So the whole benchmark runs in a private mount namespace without that mount: every runtime is measured in
// it alike, and the host's mounts are untouched.
if (!process.env.TSC_BENCH_INNER && has('unshare')) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', process.execPath, self],
    { stdio: 'inherit', env: { ...process.env, TSC_BENCH_INNER: '1' } });
  process.exit(r.status ?? 1);
}

const N = Number(process.env.BENCH_N ?? 60);
const PAR = 20;
const here = dirname(fileURLToPath(import.meta.url));
const RT = join(here, '..', 'native', 'build', 'tsc-runtime');
const base = mkdtempSync(join(tmpdir(), 'tsc-bench-rt-'));
const tag = `tsc-bench-${process.pid}`;
const CTRLS = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'net_cls', 'perf_event', 'hugetlb', 'systemd', 'unified'];

function busyboxRootfs() {
  const dir = join(base, 'busybox');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'true', 'sleep', 'cat']) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  return dir;
}

const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

function config({ rootPath, overlay, args = ['/bin/true'], cgroupsPath, seccomp }) {
  const c = {
    ociVersion: '1.0.2',
    root: { path: rootPath, readonly: false },
    hostname: 'bench',
    process: {
      terminal: false, args, env: ['PATH=/bin:/usr/bin'], cwd: '/', user: { uid: 0, gid: 0 },
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS, inheritable: [], ambient: [] },
      noNewPrivileges: false,
    },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    ],
    annotations: overlay ? {
      'org.tscompose.rootfs.lower': JSON.stringify([overlay.lower]),
      'org.tscompose.rootfs.upper': overlay.upper,
      'org.tscompose.rootfs.work': overlay.work,
      ...(overlay.volatile ? { 'org.tscompose.rootfs.volatile': 'true' } : {}),
    } : {},
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      ...(cgroupsPath ? { cgroupsPath } : {}),
      resources: { pids: { limit: 100 }, devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] },
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
        '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      ...(seccomp ? { seccomp } : {}),
    },
  };
  return c;
}

function bundle(name, opts) {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  const ov = opts.overlay ? { lower: opts.lower, upper: join(dir, 'upper'), work: join(dir, 'work'), volatile: opts.volatile } : undefined;
  if (ov) {
    mkdirSync(ov.upper, { recursive: true });
    mkdirSync(ov.work, { recursive: true });
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config({ rootPath: ov ? join(dir, 'rootfs') : opts.lower, overlay: ov, args: opts.args, cgroupsPath: opts.cgroupsPath, seccomp: opts.seccomp })));
  return dir;
}

function must(r, what) {
  if (r.status !== 0) throw new Error(`${what}: status ${r.status}: ${r.stderr}`);
  return r;
}

const lower = busyboxRootfs();
const roots = { tsc: join(base, 'state-tsc'), crun: join(base, 'state-crun'), runc: join(base, 'state-runc') };
const cg = `${tag}/ctr`;
const bOverlay = bundle('b-overlay', { overlay: true, lower, cgroupsPath: cg });
const bVolatile = bundle('b-volatile', { overlay: true, volatile: true, lower, cgroupsPath: cg });
const bPlain = bundle('b-plain', { overlay: false, lower, cgroupsPath: cg });
// Docker's default seccomp profile, as service containers get it (src/runtime/seccomp-profile.ts, built to dist/)
const seccompMod = join(here, '..', 'dist', 'runtime', 'seccomp-profile.js');
const profile = existsSync(seccompMod) ? (await import(seccompMod)).dockerDefaultSeccomp(CAPS) : undefined;
const bSeccomp = profile && bundle('b-seccomp', { overlay: true, lower, cgroupsPath: cg, seccomp: profile });
const bPlainSeccomp = profile && bundle('b-plain-seccomp', { overlay: false, lower, cgroupsPath: cg, seccomp: profile });
let seq = 0;
const runners = [
  { name: 'tsc-runtime run --rm (overlay rootfs)', key: 'tsc', cmd: (id) => [RT, ['--root', roots.tsc, 'run', '--rm', '--bundle', bOverlay, id]] },
  { name: 'tsc-runtime run --rm (overlay rootfs, volatile upper)', key: 'tsc-volatile', cmd: (id) => [RT, ['--root', roots.tsc, 'run', '--rm', '--bundle', bVolatile, id]] },
  { name: 'tsc-runtime run --rm (plain dir rootfs)', key: 'tsc-plain', cmd: (id) => [RT, ['--root', roots.tsc, 'run', '--rm', '--bundle', bPlain, id]] },
];
if (has('crun')) runners.push({ name: 'crun run (plain dir rootfs)', key: 'crun', cmd: (id) => ['crun', ['--root', roots.crun, 'run', '--bundle', bPlain, id]] });
if (has('runc')) runners.push({ name: 'runc run (plain dir rootfs)', key: 'runc', cmd: (id) => ['runc', ['--root', roots.runc, 'run', '--bundle', bPlain, id]] });
if (profile) {
  runners.push({ name: 'tsc-runtime run --rm (overlay rootfs, Docker seccomp profile)', key: 'tsc-seccomp', cmd: (id) => [RT, ['--root', roots.tsc, 'run', '--rm', '--bundle', bSeccomp, id]] });
  if (has('crun')) runners.push({ name: 'crun run (plain dir rootfs, Docker seccomp profile)', key: 'crun-seccomp', cmd: (id) => ['crun', ['--root', roots.crun, 'run', '--bundle', bPlainSeccomp, id]] });
}

function once(r) {
  const id = `${tag}-${r.key}-${seq++}`;
  const [bin, args] = r.cmd(id);
  must(spawnSync(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' }), r.name);
}

try {
  // interleaved rounds so that host load hits every runtime alike
  const samples = new Map(runners.map((r) => [r.key, []]));
  for (const r of runners) for (let w = 0; w < 3; w++) once(r);
  for (let i = 0; i < N; i++) {
    for (const r of runners) {
      const t0 = performance.now();
      once(r);
      samples.get(r.key).push(performance.now() - t0);
    }
  }
  const med = (k) => (samples.has(k) ? stats(samples.get(k)).median : NaN);
  const rows = runners.map((r) => {
    const notes = [];
    if (r.key.startsWith('tsc') && samples.has('crun')) notes.push(`${(med(r.key) / med('crun')).toFixed(2)}x crun`);
    if (r.key.startsWith('tsc') && samples.has('runc')) notes.push(`${(med(r.key) / med('runc')).toFixed(2)}x runc`);
    if (r.key === 'tsc-seccomp' && samples.has('crun-seccomp')) notes.push(`${(med(r.key) / med('crun-seccomp')).toFixed(2)}x crun with the profile`);
    return row(r.name, samples.get(r.key), { note: notes.join(', ') });
  });
  printTable('run-to-exit of /bin/true (pid+net+ipc+uts+mnt ns, proc/dev/sys, Docker caps + masked paths, v1 cgroup), spawned from Node', rows);

  // shim RSS with a sleeping container
  const rss = [];
  for (let i = 0; i < 5; i++) {
    const id = `${tag}-rss-${i}`;
    const b = bundle(`b-rss-${i}`, { overlay: true, lower, args: ['sleep', '600'] });
    must(spawnSync(RT, ['--root', roots.tsc, 'run', '--detach', '--log-path', join(base, `${id}.log`), '--bundle', b, id], { encoding: 'utf8' }), 'run --detach');
    const st = JSON.parse(must(spawnSync(RT, ['--root', roots.tsc, 'state', id], { encoding: 'utf8' }), 'state').stdout);
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${st.shimPid}/status`, 'utf8'));
    rss.push(Number(m[1]));
    must(spawnSync(RT, ['--root', roots.tsc, 'delete', '--force', id], { encoding: 'utf8' }), 'delete');
  }
  printTable('shim memory (VmRSS of the shim of a sleeping container with a log file)', [row('tsc-runtime shim VmRSS', rss, { unit: 'KiB' })]);

  // 20 containers started in parallel: wall time of the batch / 20, and each run's own latency
  const parBundles = Array.from({ length: PAR }, (_, i) => bundle(`b-par-${i}`, { overlay: true, lower, cgroupsPath: `${tag}/par-${i}` }));
  const parPlain = Array.from({ length: PAR }, (_, i) => bundle(`b-parp-${i}`, { overlay: false, lower, cgroupsPath: `${tag}/parp-${i}` }));
  const runOne = (bin, args) => new Promise((res, rej) => {
    const t0 = performance.now();
    const p = spawn(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? res(performance.now() - t0) : rej(new Error(`${bin} exited ${code}`))));
  });
  const parRows = [];
  const peers = [{ name: 'tsc-runtime', mk: (i, id) => [RT, ['--root', roots.tsc, 'run', '--rm', '--bundle', parBundles[i], id]] }];
  if (has('crun')) peers.push({ name: 'crun', mk: (i, id) => ['crun', ['--root', roots.crun, 'run', '--bundle', parPlain[i], id]] });
  for (const peer of peers) {
    const perContainer = [], latency = [];
    for (let batch = 0; batch < 5; batch++) {
      const t0 = performance.now();
      const lat = await Promise.all(parBundles.map((_, i) => runOne(...peer.mk(i, `${tag}-par-${peer.name}-${batch}-${i}`))));
      perContainer.push((performance.now() - t0) / PAR);
      latency.push(...lat);
    }
    parRows.push(row(`${peer.name}: batch wall time / ${PAR}`, perContainer, { note: '5 batches' }));
    parRows.push(row(`${peer.name}: latency of each run in a batch`, latency));
  }
  printTable(`${PAR} containers (/bin/true) started in parallel`, parRows);

  // Detached creates as the supervisor makes them (a scale to 20): `run --detach` of a sleeping container with
  // Docker's seccomp profile, 20 at once, through its long-lived runner `tsc-runtime serve` (src/runtime/spawner.ts)
  // and, side by side, through the former runner, a shell holding a sealed copy (`sealed-exec 9 /bin/sh`). CPU per
  // create: the runner and its reaped children (/proc stat, ticks) + every shim and PID 1 still alive (schedstat, ns).
  const detRows = [];
  const detBundles = Array.from({ length: PAR }, (_, i) => bundle(`b-det-${i}`, { overlay: true, lower, args: ['sleep', '600'], cgroupsPath: `${tag}/det-${i}`, seccomp: profile }));
  const tick = 1000 / 100; // USER_HZ
  const statCpu = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ').slice(11, 15).reduce((a, v) => a + Number(v) * tick, 0);
  const schedCpu = (pid) => { try { return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6; } catch { return 0; } };
  const detModes = [
    { name: 'serve', start: () => spawn(RT, ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] }),
      line: (id, args) => `${JSON.stringify({ id, argv: ['tsc-runtime', ...args], in: '/dev/null', out: '/dev/null', err: '/dev/null', self: true })}\n` },
    { name: 'sealed sh', start: () => spawn(RT, ['sealed-exec', '9', '/bin/sh', '-s'], { stdio: ['pipe', 'pipe', 'inherit'] }),
      line: (id, args) => `{ /proc/self/fd/9 ${args.join(' ')} </dev/null >/dev/null; echo "${id} $?"; } &\n` },
  ];
  const det = new Map(detModes.map((m) => [m.name, { cpu: [], wall: [] }]));
  for (let round = 0; round < 4; round++) {
    for (const m of detModes) {
      const runner = m.start();
      let buf = '';
      const answers = new Map();
      const waiting = new Map();
      runner.stdout.setEncoding('utf8').on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const [id, code] = buf.slice(0, i).split(' ');
          buf = buf.slice(i + 1);
          answers.set(Number(id), Number(code));
          waiting.get(Number(id))?.();
        }
      });
      const cpu0 = statCpu(runner.pid);
      const ids = detBundles.map((_, i) => `${tag}-det-${m.name.replace(' ', '')}-${round}-${i}`);
      const t0 = performance.now();
      await Promise.all(detBundles.map((b, i) => new Promise((res) => {
        waiting.set(i, res);
        runner.stdin.write(m.line(i, ['--root', roots.tsc, 'run', '--detach', '--bundle', b, ids[i]]));
      })));
      const wall = performance.now() - t0;
      if ([...answers.values()].some((c) => c !== 0)) throw new Error(`${m.name}: a create failed`);
      if (m.name === 'sealed sh') runner.stdin.write('wait\n');
      await new Promise((r) => setTimeout(r, 200));
      let cpu = statCpu(runner.pid) - cpu0;
      for (const id of ids) {
        const st = JSON.parse(readFileSync(join(roots.tsc, id, 'state.json'), 'utf8'));
        cpu += schedCpu(st.shimPid) + schedCpu(st.pid);
      }
      det.get(m.name).cpu.push(cpu / PAR);
      det.get(m.name).wall.push(wall / PAR);
      for (const id of ids) spawnSync(RT, ['--root', roots.tsc, 'delete', '--force', id]);
      runner.stdin.end();
      await new Promise((r) => runner.on('exit', r));
    }
  }
  const dmed = (k) => stats(det.get(k).cpu).median;
  for (const m of detModes) {
    detRows.push(row(`${m.name}: CPU per create`, det.get(m.name).cpu, { note: m.name === 'serve' ? `${(dmed('serve') / dmed('sealed sh')).toFixed(2)}x sealed sh` : '' }));
    detRows.push(row(`${m.name}: batch wall time / ${PAR}`, det.get(m.name).wall));
  }
  printTable(`${PAR} detached creates at once (run --detach, Docker seccomp profile, sleeping PID 1), by runner`, detRows);
} finally {
  for (const r of Object.values(roots)) if (existsSync(r)) spawnSync('sh', ['-c', `for d in ${r}/*; do [ -d "$d" ] || continue; ${RT} --root ${r} delete --force $(basename $d) 2>/dev/null; done`]);
  for (const c of CTRLS) {
    const top = `/sys/fs/cgroup/${c}/${tag}`;
    if (!existsSync(top)) continue;
    spawnSync('sh', ['-c', `find ${top} -depth -type d -exec rmdir {} \\; 2>/dev/null`]);
    try { rmdirSync(top); } catch { /* gone */ }
  }
  rmSync(base, { recursive: true, force: true });
}
