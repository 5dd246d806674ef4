/**
 * Docker's default container security profile, as data (moby daemon/pkg/oci/defaults.go and
 * caps/defaults.go; see shared/reference/SECURITY-AND-FORMATS.md §1). Pure constants and tiny builders.
 */
import type { OciDeviceRule, OciMount } from './oci-types.js';

/** Exactly Docker's 14 default capabilities, in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability the kernel knows (linux/capability.h, 0..40), in number order. */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Masked paths (defaultLinuxMaskedPaths) without the per-CPU thermal_throttle dirs. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's masked paths for a host with `cpuCount` CPUs (thermal_throttle per CPU). */
export function maskedPaths(cpuCount: number): string[] {
  const out = [...MASKED_PATHS];
  for (let i = 0; i < cpuCount; i++) out.push(`/sys/devices/system/cpu/cpu${i}/thermal_throttle`);
  return out;
}

export const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;

/** Docker's default mounts. /sys and the cgroup mount are read-write only for privileged containers. */
export function defaultMounts(opts: { privileged: boolean; shmSizeBytes?: number }): OciMount[] {
  const sysOpts = ['nosuid', 'noexec', 'nodev', opts.privileged ? 'rw' : 'ro'];
  const shmKiB = Math.floor((opts.shmSizeBytes ?? DEFAULT_SHM_BYTES) / 1024);
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOpts },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...sysOpts, 'relatime'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmKiB}k`] },
  ];
}

/**
 * Device cgroup rules: deny all, then Docker's allow-list (null, zero, urandom, random, tty, console),
 * plus the devices the runtime itself must supply (runtime-spec "Default Devices": full, ptmx, pts/*),
 * and fuse explicitly denied. Privileged: everything allowed.
 */
export function deviceRules(privileged: boolean): OciDeviceRule[] {
  if (privileged) return [{ allow: true, access: 'rwm' }];
  const c = (major: number, minor: number | undefined, allow = true): OciDeviceRule =>
    minor === undefined ? { allow, type: 'c', major, access: 'rwm' } : { allow, type: 'c', major, minor, access: 'rwm' };
  return [
    { allow: false, access: 'rwm' },
    c(1, 5),
    c(1, 3),
    c(1, 9),
    c(1, 8),
    c(5, 0),
    c(5, 1),
    c(1, 7),
    c(5, 2),
    c(136, undefined),
    c(10, 229, false),
  ];
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
