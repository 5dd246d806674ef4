import { describe, expect, it } from 'vitest';
import { checkedSysctls, sysctlRefusal } from '../../src/runtime/sysctls.js';

describe('per-container sysctls (only namespaced ones, as runc)', () => {
  it('allows IPC sysctls, fs.mqueue.*, net.* and kernel.domainname', () => {
    for (const k of ['kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.sem', 'fs.mqueue.msg_max', 'net.core.somaxconn', 'net/ipv4/ip_forward', 'kernel.domainname']) {
      expect(sysctlRefusal(k, false)).toBeUndefined();
    }
    expect(checkedSysctls({ 'net.core.somaxconn': '1024' }, false)).toEqual({ 'net.core.somaxconn': '1024' });
  });

  it('refuses host-wide sysctls with a clear error', () => {
    expect(() => checkedSysctls({ 'kernel.panic': '5' }, false)).toThrow(/sysctl "kernel.panic" is not in a separate kernel namespace/);
    for (const k of ['vm.swappiness', 'kernel.pid_max', 'fs.file-max', 'kernel/panic']) expect(sysctlRefusal(k, false)).toMatch(/not in a separate kernel namespace/);
    expect(sysctlRefusal('kernel.hostname', false)).toMatch(/conflicts with the "hostname"/);
  });

  it('refuses net.* when the container shares the host network', () => {
    expect(sysctlRefusal('net.ipv4.ip_forward', true)).toMatch(/host's network namespace/);
    expect(sysctlRefusal('kernel.shmmax', true)).toBeUndefined();
  });

});
