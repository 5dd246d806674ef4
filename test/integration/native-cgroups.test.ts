/**
 * tsc-runtime cgroups: v1 limits on this host (OOM by the oom_kill counter, CPU throttling, pids.max), and the
 * v2 backend pointed at a fake tree through TSC_CGROUP_VERSION/TSC_CGROUP_ROOT (the files it writes).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { readLog, Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('cg');
});
afterAll(() => s?.cleanup());

const MiB = 1024 * 1024;

async function stopped(id: string, env?: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  return eventually(() => {
    const v = JSON.parse(s.ok(['state', id], env ? { env } : {})) as Record<string, unknown>;
    return v.status === 'stopped' ? v : undefined;
  }, { what: `${id} stopped`, timeoutMs: 60_000 });
}

describe('tsc-runtime cgroups v1', () => {
  it('device rules: Docker\'s list as given; the default devices stay allowed even after a deny of one', () => {
    const list = (rules: unknown[]): string[] => {
      const id = s.id('dev');
      const cg = s.cgroupPath(id);
      const b = s.bundle(id, { args: ['true'], cgroupsPath: cg, resources: { devices: rules } });
      s.ok(['create', '--bundle', b.dir, id]);
      const out = readFileSync(`/sys/fs/cgroup/devices/${cg}/devices.list`, 'utf8').trim().split('\n').sort();
      s.ok(['delete', '--force', id]);
      return out;
    };
    const c = (major: number, minor?: number, allow = true) => ({ allow, type: 'c', major, ...(minor !== undefined ? { minor } : {}), access: 'rwm' });
    const defaults = ['c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm'].sort();
    const docker = [{ allow: false, access: 'rwm' }, c(1, 5), c(1, 3), c(1, 9), c(1, 8), c(5, 0), c(5, 1), c(1, 7), c(5, 2), c(136), c(10, 229, false)];
    expect(list(docker)).toEqual(defaults);
    expect(list([{ allow: false, access: 'rwm' }, c(1, 3), c(1, 3, false)])).toEqual(defaults);
    expect(list([{ allow: false, access: 'rwm' }, c(10, 200)])).toEqual([...defaults, 'c 10:200 rwm'].sort());
  });

  it('a 32 MiB limit with a 100 MB allocation ends OOMKilled (PID 1 killed: 137)', async () => {
    const id = s.id('oom');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, {
      args: ['sh', '-c', "X=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived"],
      cgroupsPath: cg,
      resources: { memory: { limit: 32 * MiB, swap: 32 * MiB } },
    });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    expect(readFileSync(`/sys/fs/cgroup/memory/${cg}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(32 * MiB));
    const st = await stopped(id);
    expect(st.oomKilled).toBe(true);
    expect(st.exitCode).toBe(137);
    expect(JSON.parse(readFileSync(join(s.root, id, 'exit.json'), 'utf8')).oomKilled).toBe(true);
    s.ok(['delete', id]);
  });

  it('reports OOMKilled from the counter even when PID 1 survives (exit 0)', async () => {
    const id = s.id('oomchild');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, {
      // The hog raises its own OOM score to the maximum, so the kernel's pick is always it (or its pipe
      // children), never PID 1: PID 1 survives and exits 0 while the counter shows the kill.
      args: ['sh', '-c', "sh -c 'echo 1000 > /proc/self/oom_score_adj; X=$(head -c 100000000 /dev/zero | tr \"\\\\0\" a)'; exit 0"],
      cgroupsPath: cg,
      resources: { memory: { limit: 32 * MiB, swap: 32 * MiB } },
    });
    const r = s.rt(['run', '--bundle', b.dir, id]);
    expect(r.status).toBe(0);
    const st = s.state(id);
    expect(st.exitCode).toBe(0);
    expect(st.oomKilled).toBe(true);
    s.ok(['delete', id]);
  });

  it('an exit 137 without OOM is not OOMKilled', async () => {
    const id = s.id('kill137');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, { args: ['sleep', '1000'], cgroupsPath: cg, resources: { memory: { limit: 64 * MiB } } });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    s.ok(['kill', id, '9']);
    const st = await stopped(id);
    expect(st.exitCode).toBe(137);
    expect(st.oomKilled).toBe(false);
    s.ok(['delete', id]);
  });

  it('cpus 0.5 (quota 1000/2000 us) shows throttling in cpu.stat', async () => {
    // a 2 ms period: any slice longer than 1 ms is throttled, even when a loaded host gives the
    // container far less than half a CPU overall
    const id = s.id('cpu');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, {
      args: ['sh', '-c', 'while :; do :; done & while :; do :; done'],
      cgroupsPath: cg,
      resources: { cpu: { quota: 1000, period: 2000, shares: 512 } },
    });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    const dir = `/sys/fs/cgroup/cpu/${cg}`;
    expect(readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('1000');
    expect(readFileSync(`${dir}/cpu.cfs_period_us`, 'utf8').trim()).toBe('2000');
    expect(readFileSync(`${dir}/cpu.shares`, 'utf8').trim()).toBe('512');
    await eventually(() => {
      const m = /nr_throttled (\d+)/.exec(readFileSync(`${dir}/cpu.stat`, 'utf8'));
      return m && Number(m[1]) > 0;
    }, { what: 'nr_throttled > 0', timeoutMs: 90_000 });
    s.ok(['delete', '--force', id]);
    expect(existsSync(dir)).toBe(false);
  });

  it('a fork bomb is stopped by pids.max', async () => {
    const id = s.id('bomb');
    const cg = s.cgroupPath(id);
    const log = join(s.base, `${id}.log`);
    const b = s.bundle(id, {
      // busybox sh exits on a failed fork, so the bomb runs in a child shell and PID 1 then execs (no fork)
      // a sleep: the bomb's survivors keep the cgroup at its limit until the test deletes the container.
      args: ['sh', '-c', 'sh -c \'i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i+1)); done; wait\'; exec sleep 1000'],
      cgroupsPath: cg,
      resources: { pids: { limit: 32 } },
    });
    s.ok(['run', '--detach', '--log-path', log, '--bundle', b.dir, id]);
    const dir = `/sys/fs/cgroup/pids/${cg}`;
    expect(readFileSync(`${dir}/pids.max`, 'utf8').trim()).toBe('32');
    // the kernel refused forks at the limit
    await eventually(() => /max [1-9]/.test(readFileSync(`${dir}/pids.events`, 'utf8')), { what: 'pids.events max > 0', timeoutMs: 60_000 });
    const current = Number(readFileSync(`${dir}/pids.current`, 'utf8').trim());
    expect(current).toBeLessThanOrEqual(32);
    expect(current).toBeGreaterThan(1);
    await eventually(() => readLog(log).some((l) => l.stream === 'stderr' && /fork/i.test(l.text)), { what: 'fork error in the log' });
    s.ok(['delete', '--force', id]);
    expect(existsSync(dir)).toBe(false);
  });

  it('applies the device allow-list (deny all, then the listed char devices): mknod of a disk is refused', () => {
    const id = s.id('devices');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, { args: ['sh', '-c', 'head -c 1 /dev/zero | wc -c; mknod /dev/sda1x b 8 1 && head -c 1 /dev/sda1x; echo rc=$?'], cgroupsPath: cg });
    const r = s.rt(['run', '--rm', '--bundle', b.dir, id]);
    expect(r.stdout).toContain('1\n');
    expect(r.stdout).toMatch(/rc=[1-9]/);
  });
});

describe('tsc-runtime cgroups v2 backend (fake tree)', () => {
  it('writes memory, swap, cpu, weight, pids, io and unified files and enables controllers', async () => {
    const fake = join(s.base, 'fake-v2');
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    const env = { ...process.env, TSC_CGROUP_VERSION: '2', TSC_CGROUP_ROOT: fake };
    const id = s.id('v2');
    const cgPath = `tscompose/proj/${id}`;
    const b = s.bundle(id, {
      args: ['sleep', '1000'],
      cgroupsPath: cgPath,
      resources: {
        memory: { limit: 64 * MiB, swap: 128 * MiB, reservation: 32 * MiB },
        cpu: { quota: 50000, period: 100000, shares: 512, cpus: '0' },
        pids: { limit: 64 },
        blockIO: {
          weight: 500,
          throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
          throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
          throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 2097152 }],
        },
        unified: { 'memory.high': '60000000' },
      },
    });
    // memory.events made before create, so the OOM counter has a baseline (a real v2 kernel provides it)
    const dir = join(fake, cgPath);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    s.ok(['run', '--detach', '--bundle', b.dir, id], { env });
    const f = (n: string) => readFileSync(join(dir, n), 'utf8').trim();
    expect(f('memory.max')).toBe(String(64 * MiB));
    expect(f('memory.swap.max')).toBe(String(64 * MiB));
    expect(f('memory.low')).toBe(String(32 * MiB));
    expect(f('memory.high')).toBe('60000000');
    expect(f('cpu.max')).toBe('50000 100000');
    expect(f('cpu.weight')).toBe('20');
    expect(f('cpuset.cpus')).toBe('0');
    expect(f('pids.max')).toBe('64');
    expect(f('io.weight')).toBe('default 4950');
    expect(f('io.max')).toBe('8:16 wbps=2097152');
    // the container's PID 1 joined: by its pid, or "0" (itself) when it wrote the file
    expect(['0', String(s.state(id).pid)]).toContain(f('cgroup.procs'));
    for (const p of [fake, join(fake, 'tscompose'), join(fake, 'tscompose/proj')]) {
      expect(readFileSync(join(p, 'cgroup.subtree_control'), 'utf8')).toBe('+cpuset +cpu +io +memory +pids');
    }
    // an OOM kill counted by the kernel between create and exit -> oomKilled
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    s.ok(['kill', id, 'KILL'], { env });
    const st = await stopped(id, env);
    expect(st.oomKilled).toBe(true);
    s.ok(['delete', id], { env });
    expect(existsSync(dir)).toBe(false);
  });
});
