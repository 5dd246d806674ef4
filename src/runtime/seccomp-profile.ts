/**
 * Pure: Docker's default seccomp profile (moby/profiles seccomp/default.json, as summarised in
 * SECURITY-AND-FORMATS.md §1) in the OCI `linux.seccomp` shape, for the container's capability set:
 * default EPERM; everything else allowed except the syscalls Docker never allows, the ones it gates on a
 * capability (allowed when the container has it), and its argument filters (clone without namespace flags,
 * clone3 → ENOSYS, socket without AF_ALG/AF_VSOCK, personality with the usual values only).
 * `security_opt: [seccomp=unconfined]` and `privileged: true` get no filter, as with Docker.
 */
import { TscError } from '../errors.js';
import type { OciSeccomp, OciSyscallRule } from './oci-types.js';
import { SYSCALL_NAMES } from './seccomp-syscalls.js';

const NEVER = [
  'keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load', 'userfaultfd', 'io_uring_setup', 'io_uring_enter',
  'io_uring_register', 'swapon', 'swapoff', 'pivot_root', 'uselib', 'nfsservctl', 'move_pages', 'vm86', 'vm86old', '_sysctl',
  'ustat', 'sysfs', 'create_module', 'get_kernel_syms', 'query_module', 'name_to_handle_at', 'afs_syscall', 'getpmsg',
  'putpmsg', 'security', 'tuxcall', 'vserver', 'bdflush', 'break', 'ftime', 'gtty', 'stty', 'lock', 'mpx', 'prof',
  'profil', 'ulimit', 'idle', 'oldolduname',
];

/** Syscalls Docker allows only when the container holds the capability. */
const GATED: Record<string, readonly string[]> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'unshare', 'setns', 'bpf', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'open_tree',
    'move_mount', 'mount_setattr', 'quotactl', 'quotactl_fd', 'sethostname', 'setdomainname', 'syslog', 'perf_event_open',
    'lookup_dcookie', 'fanotify_init', 'vhangup',
  ],
  CAP_SYS_PTRACE: ['kcmp', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'clock_settime', 'clock_settime64', 'stime'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_NICE: ['mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
};

/** Handled by argument rules below, never in the plain allow list. */
const FILTERED = ['clone', 'clone3', 'socket', 'personality'];

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (Docker's mask). */
const CLONE_NS_MASK = 0x7e020000;
const AF_ALG = 38;
const AF_VSOCK = 40;
const ENOSYS = 38;

function architectures(arch: string): string[] {
  if (arch === 'x64') return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
  if (arch === 'arm64') return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
  return [];
}

export function dockerDefaultSeccomp(capabilities: readonly string[], arch: string = process.arch): OciSeccomp {
  const caps = new Set(capabilities);
  const blocked = new Set([...NEVER, ...FILTERED, ...Object.values(GATED).flat()]);
  const allowed = SYSCALL_NAMES.filter((n) => !blocked.has(n));
  for (const [cap, names] of Object.entries(GATED)) if (caps.has(cap)) allowed.push(...names);
  const rules: OciSyscallRule[] = [{ names: allowed, action: 'SCMP_ACT_ALLOW' }];
  const personality = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];
  for (const v of personality) rules.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] });
  // socket: any family but AF_ALG and AF_VSOCK (three ranges: one comparison per rule keeps libseccomp happy)
  rules.push(
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_ALG, op: 'SCMP_CMP_LT' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_ALG + 1, op: 'SCMP_CMP_EQ' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_GT' }] },
  );
  if (caps.has('CAP_SYS_ADMIN')) {
    rules.push({ names: ['clone', 'clone3'], action: 'SCMP_ACT_ALLOW' });
  } else {
    rules.push(
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NS_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      // clone3 hides its flags in a struct: ENOSYS makes libc fall back to clone, which is checked above
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    );
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: architectures(arch), syscalls: rules };
}

/** `seccomp=unconfined` / `seccomp:unconfined` → no filter; a profile path is not supported yet. */
export function seccompOption(securityOpt: readonly string[]): 'default' | 'unconfined' {
  let v: 'default' | 'unconfined' = 'default';
  for (const o of securityOpt) {
    const m = /^seccomp[:=](.*)$/.exec(o.trim());
    if (!m) continue;
    if (m[1] === 'unconfined') v = 'unconfined';
    else throw new TscError('SPEC_INVALID', `security_opt "${o}": only seccomp=unconfined is supported (a custom profile file is not yet)`);
  }
  return v;
}

const profiles = new Map<string, OciSeccomp>();

/**
 * The profile depends only on the capability set: built once per set (every replica of a service, every
 * service with Docker's default capabilities share it). Shared: callers serialise it, never change it.
 */
export function containerSeccomp(privileged: boolean, securityOpt: readonly string[], capabilities: readonly string[]): OciSeccomp | undefined {
  if (seccompOption(securityOpt) === 'unconfined' || privileged) return undefined;
  const key = [...new Set(capabilities)].sort().join(',');
  let p = profiles.get(key);
  if (!p) {
    p = dockerDefaultSeccomp(capabilities);
    if (profiles.size >= 32) profiles.clear();
    profiles.set(key, p);
  }
  return p;
}
