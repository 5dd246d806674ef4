import { describe, expect, it } from 'vitest';
import { containerSeccomp, dockerDefaultSeccomp } from '../../src/runtime/seccomp-profile.js';
import { DEFAULT_CAPABILITIES } from '../../src/runtime/oci-defaults.js';
import type { OciSeccomp } from '../../src/runtime/oci-types.js';

function unconditional(p: OciSeccomp): Set<string> {
  return new Set(p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
}

describe('Docker default seccomp profile', () => {
  const p = dockerDefaultSeccomp(DEFAULT_CAPABILITIES, 'x64');

  it('denies with EPERM by default and lists the x86 architectures', () => {
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(1);
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  it('allows the everyday syscalls and never the blocked ones', () => {
    const allowed = unconditional(p);
    for (const n of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'epoll_wait', 'ptrace', 'chroot', 'setuid', 'capset', 'close_range']) {
      expect(allowed.has(n), n).toBe(true);
    }
    for (const n of ['keyctl', 'add_key', 'request_key', 'kexec_load', 'userfaultfd', 'io_uring_setup', 'swapon', 'pivot_root', 'mount', 'unshare', 'setns', 'bpf', 'reboot', 'init_module', 'clone', 'clone3', 'socket', 'personality']) {
      expect(allowed.has(n), n).toBe(false);
    }
  });

  it('gates syscalls on capabilities as Docker does', () => {
    const admin = unconditional(dockerDefaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'x64'));
    expect(admin.has('mount')).toBe(true);
    expect(admin.has('unshare')).toBe(true);
    expect(admin.has('clone')).toBe(true);
    expect(admin.has('keyctl')).toBe(false);
    const noChroot = unconditional(dockerDefaultSeccomp(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'), 'x64'));
    expect(noChroot.has('chroot')).toBe(false);
  });

  it('filters clone flags, clone3, socket families and personality', () => {
    expect(p.syscalls).toContainEqual({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    expect(p.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const socket = p.syscalls.filter((r) => r.names.includes('socket'));
    expect(socket.map((r) => r.args?.[0])).toEqual([
      { index: 0, value: 38, op: 'SCMP_CMP_LT' }, { index: 0, value: 39, op: 'SCMP_CMP_EQ' }, { index: 0, value: 40, op: 'SCMP_CMP_GT' },
    ]);
    expect(p.syscalls.filter((r) => r.names.includes('personality')).map((r) => r.args?.[0]?.value)).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff]);
  });

  it('is left out for seccomp=unconfined and privileged; a profile file is refused clearly', () => {
    expect(containerSeccomp(false, ['seccomp=unconfined'], DEFAULT_CAPABILITIES)).toBeUndefined();
    expect(containerSeccomp(false, ['seccomp:unconfined'], DEFAULT_CAPABILITIES)).toBeUndefined();
    expect(containerSeccomp(true, [], DEFAULT_CAPABILITIES)).toBeUndefined();
    expect(containerSeccomp(false, ['no-new-privileges:true'], DEFAULT_CAPABILITIES)?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(() => containerSeccomp(false, ['seccomp=/etc/profile.json'], DEFAULT_CAPABILITIES)).toThrow(/only seccomp=unconfined/);
  });

  it('is built once per capability set (any order) and matches a fresh build', () => {
    const a = containerSeccomp(false, [], DEFAULT_CAPABILITIES);
    const b = containerSeccomp(false, [], [...DEFAULT_CAPABILITIES].reverse());
    expect(b).toBe(a);
    expect(a).toEqual(dockerDefaultSeccomp(DEFAULT_CAPABILITIES));
    const admin = containerSeccomp(false, [], [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    expect(admin).not.toBe(a);
    expect(admin).toEqual(dockerDefaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']));
  });
});
