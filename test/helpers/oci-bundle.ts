/**
 * OCI bundles for the native runtime tests (test/integration/native-*.test.ts): a config.json with Docker's
 * defaults over the busybox rootfs (test/helpers/busybox.ts) used as a read-only overlay lower, and a thin
 * wrapper around native/build/tsc-runtime. Every bundle gets unique ids and cgroup paths per test run.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfs } from './busybox.js';

export const RUNTIME = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'tsc-runtime');

export const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const MASKED = [
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap',
  '/sys/firmware',
];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface BundleOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  hostname?: string;
  init?: boolean;
  /** cgroupsPath relative to each controller; default none (no cgroup) */
  cgroupsPath?: string;
  resources?: Record<string, unknown>;
  uid?: number;
  gid?: number;
  /** annotation org.tscompose.user */
  userName?: string;
  /** extra OCI mounts appended after Docker's defaults */
  mounts?: Array<{ destination: string; type: string; source?: string; options?: string[] }>;
  /** extra lower layers above the busybox one (bottom first) */
  extraLowers?: string[];
  /** overlay lower dirs instead of busybox (bottom first) */
  lowers?: string[];
  rootReadonly?: boolean;
  capabilities?: string[];
  noNewPrivileges?: boolean;
  sysctl?: Record<string, string>;
  /** linux.seccomp (OCI shape) */
  seccomp?: unknown;
  /** process.terminal */
  terminal?: boolean;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  upper: string;
  work: string;
  config: Record<string, unknown>;
}

/** A scratch dir per test file, with a runtime state root inside. */
export class Scratch {
  readonly base: string;
  readonly root: string;
  readonly prefix: string;
  private ids: string[] = [];
  private cgroups: string[] = [];
  private n = 0;

  constructor(tag: string) {
    this.base = mkdtempSync(join(tmpdir(), `tsct-${tag}-`));
    this.root = join(this.base, 'state');
    this.prefix = `tsct-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  }

  id(name: string): string {
    const id = `${this.prefix}-${name}-${this.n++}`;
    this.ids.push(id);
    return id;
  }

  cgroupPath(id: string): string {
    const p = `${this.prefix}/${id}`;
    this.cgroups.push(p);
    return p;
  }

  bundle(id: string, o: BundleOptions): Bundle {
    const dir = join(this.base, id);
    const b: Bundle = { dir, rootfs: join(dir, 'rootfs'), upper: join(dir, 'upper'), work: join(dir, 'work'), config: {} };
    for (const d of [b.rootfs, b.upper, b.work]) mkdirSync(d, { recursive: true });
    const lowers = o.lowers ?? [busyboxRootfs(), ...(o.extraLowers ?? [])];
    const caps = o.capabilities ?? DOCKER_CAPS;
    const annotations: Record<string, string> = {
      'org.tscompose.rootfs.lower': JSON.stringify(lowers),
      'org.tscompose.rootfs.upper': b.upper,
      'org.tscompose.rootfs.work': b.work,
    };
    if (o.init) annotations['org.tscompose.init'] = 'true';
    if (o.userName) annotations['org.tscompose.user'] = o.userName;
    b.config = {
      ociVersion: '1.0.2',
      root: { path: b.rootfs, readonly: o.rootReadonly ?? false },
      hostname: o.hostname ?? 'ctr',
      process: {
        terminal: o.terminal ?? false,
        args: o.args,
        env: o.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        cwd: o.cwd ?? '/',
        user: { uid: o.uid ?? 0, gid: o.gid ?? 0 },
        capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
        noNewPrivileges: o.noNewPrivileges ?? false,
        rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
        { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
        { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
        ...(o.mounts ?? []),
      ],
      annotations,
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
        ...(o.cgroupsPath ? { cgroupsPath: o.cgroupsPath } : {}),
        resources: {
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
            { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
            { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
          ],
          ...(o.resources ?? {}),
        },
        maskedPaths: MASKED,
        readonlyPaths: READONLY,
        ...(o.sysctl ? { sysctl: o.sysctl } : {}),
        ...(o.seccomp ? { seccomp: o.seccomp } : {}),
      },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(b.config, null, 1));
    return b;
  }

  /** tsc-runtime --root <root> ARGS, synchronously. */
  rt(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    return spawnSync(RUNTIME, ['--root', this.root, ...args], {
      encoding: 'utf8',
      input: opts.input ?? '',
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs ?? 60_000,
    });
  }

  /** tsc-runtime that must succeed; returns stdout. */
  ok(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): string {
    const r = this.rt(args, opts);
    if (r.status !== 0) throw new Error(`tsc-runtime ${args.join(' ')} -> ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  state(id: string): Record<string, unknown> {
    return JSON.parse(this.ok(['state', id])) as Record<string, unknown>;
  }

  /** Best-effort cleanup of everything this scratch made (even after failures). */
  cleanup(): void {
    for (const id of this.ids) if (existsSync(join(this.root, id))) this.rt(['delete', '--force', id]);
    const ctrls = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'cpuset'];
    for (const p of [...this.cgroups, this.prefix]) {
      for (const c of ctrls) {
        try {
          rmdirSync(`/sys/fs/cgroup/${c}/${p}`);
        } catch {
          /* absent (deleted by the runtime) */
        }
      }
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** CRI log lines: [{time, stream, tag, text}] */
export function readLog(path: string): Array<{ time: string; stream: string; tag: string; text: string }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(l);
      if (!m) throw new Error(`bad CRI log line: ${l}`);
      return { time: m[1]!, stream: m[2]!, tag: m[3]!, text: m[4]! };
    });
}
