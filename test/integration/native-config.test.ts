/**
 * tsc-runtime applies config.json: Docker's capability sets, masked and read-only paths, a read-only root,
 * sysctls, rlimits, no_new_privs, a joined network namespace, and the cgroup mount inside the cgroup namespace.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
let netns: string | undefined;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('cfg');
});
afterAll(() => {
  if (netns) spawnSync('ip', ['netns', 'del', netns]);
  s?.cleanup();
});

function runOut(name: string, opts: Parameters<Scratch['bundle']>[1]): string {
  const id = s.id(name);
  const b = s.bundle(id, opts);
  const r = s.rt(['run', '--rm', '--bundle', b.dir, id]);
  if (r.status !== 0) throw new Error(`run ${name}: ${r.status} ${r.stderr}`);
  return r.stdout;
}

describe('tsc-runtime config.json', () => {
  it('sets exactly Docker\'s 14 capabilities with an empty inheritable set', () => {
    const out = runOut('caps', { args: ['grep', '^Cap', '/proc/self/status'] });
    const caps = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
    expect(caps.CapEff).toBe('00000000a80425fb');
    expect(caps.CapPrm).toBe('00000000a80425fb');
    expect(caps.CapBnd).toBe('00000000a80425fb');
    expect(caps.CapInh).toBe('0000000000000000');
    expect(caps.CapAmb).toBe('0000000000000000');
    const none = runOut('nocaps', { args: ['grep', '^CapEff', '/proc/self/status'], capabilities: [], uid: 1000, gid: 1000 });
    expect(none.trim()).toBe('CapEff:\t0000000000000000');
  });

  it('masks and write-protects Docker\'s paths, keeps the root read-only when asked', () => {
    const out = runOut('masked', {
      rootReadonly: true,
      args: ['sh', '-c', [
        'wc -c < /proc/interrupts',
        'ls /sys/firmware | wc -l',
        '(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo sys-writable || echo sys-ro',
        '(touch /newfile) 2>/dev/null && echo root-writable || echo root-ro',
        '(touch /dev/shm/x) && echo shm-writable',
        'grep -c " /proc/sys " /proc/self/mountinfo',
      ].join('; ')],
    });
    expect(out.split('\n').slice(0, 6)).toEqual(['0', '0', 'sys-ro', 'root-ro', 'shm-writable', '1']);
  });

  it('applies sysctls in the container\'s namespaces only, rlimits and no_new_privs', () => {
    const hostPort = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
    const out = runOut('sysctl', {
      sysctl: { 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shm_rmid_forced': '1' },
      noNewPrivileges: true,
      args: ['sh', '-c', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shm_rmid_forced; ulimit -n; grep NoNewPrivs /proc/self/status'],
    });
    expect(out.split('\n').slice(0, 4)).toEqual(['80', '1', '1024', 'NoNewPrivs:\t1']);
    expect(hostPort).not.toBe('80\n');
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).toBe(hostPort);
  });

  it('joins a given network namespace path', () => {
    netns = `${s.prefix}-ns`;
    const add = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
    expect(add.status, add.stderr).toBe(0);
    const nsPath = `/run/netns/${netns}`;
    const veth = spawnSync('ip', ['-n', netns, 'link', 'add', 'tsct0', 'type', 'veth', 'peer', 'name', 'tsct1'], { encoding: 'utf8' });
    expect(veth.status, veth.stderr).toBe(0);
    const id = s.id('netns');
    const b = s.bundle(id, { args: ['sh', '-c', 'readlink /proc/self/ns/net; ls /sys/class/net'] });
    const cfg = b.config as { linux: { namespaces: Array<{ type: string; path?: string }> } };
    cfg.linux.namespaces = cfg.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: nsPath } : n));
    writeFileSync(`${b.dir}/config.json`, JSON.stringify(cfg));
    const r = s.rt(['run', '--rm', '--bundle', b.dir, id]);
    expect(r.status, r.stderr).toBe(0);
    const inode = spawnSync('stat', ['-L', '-c', '%i', nsPath], { encoding: 'utf8' }).stdout.trim();
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`net:[${inode}]`);
    expect(lines.slice(1).sort()).toEqual(['lo', 'tsct0', 'tsct1']);
  });

  it('mounts /sys/fs/cgroup read-only, rooted at the container\'s cgroup', () => {
    const id = s.id('cgmount');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, {
      cgroupsPath: cg,
      args: ['sh', '-c', 'cat /sys/fs/cgroup/memory/cgroup.procs | wc -l; grep memory /proc/self/cgroup; (mkdir /sys/fs/cgroup/memory/x) 2>/dev/null || echo ro'],
      mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro', 'relatime'] }],
    });
    const r = s.rt(['run', '--rm', '--bundle', b.dir, id]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(Number(lines[0])).toBeLessThanOrEqual(3);
    expect(lines[1]).toMatch(/^\d+:memory:\/$/);
    expect(lines[2]).toBe('ro');
    expect(readlinkSync('/proc/self/ns/cgroup')).toMatch(/^cgroup:/);
  });
});
