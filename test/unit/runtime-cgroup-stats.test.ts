import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  layoutFromMountinfo,
  parseLimit,
  parseMountinfo,
  readCgroupStats,
  readOomKills,
  statsFromV1,
  statsFromV2,
} from '../../src/runtime/cgroup-stats.js';

const HYBRID = `24 29 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
25 24 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
26 24 0:24 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory
27 24 0:25 / /sys/fs/cgroup/cpu rw,relatime shared:12 - cgroup cgroup rw,cpu
28 24 0:26 / /sys/fs/cgroup/cpuacct rw,relatime shared:13 - cgroup cgroup rw,cpuacct
29 24 0:27 / /sys/fs/cgroup/pids rw,relatime shared:14 - cgroup cgroup rw,pids
30 24 0:28 / /sys/fs/cgroup/systemd rw,relatime shared:15 - cgroup cgroup rw,xattr,name=systemd
31 29 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw`;

const PURE_V2 = `25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate`;

describe('mountinfo', () => {
  it('finds v1 controllers and the v2 mount of a hybrid host; picks v1', () => {
    const m = parseMountinfo(HYBRID);
    expect(m.v1).toEqual({
      memory: '/sys/fs/cgroup/memory',
      cpu: '/sys/fs/cgroup/cpu',
      cpuacct: '/sys/fs/cgroup/cpuacct',
      pids: '/sys/fs/cgroup/pids',
    });
    expect(m.v2).toBe('/sys/fs/cgroup/unified');
    expect(layoutFromMountinfo(HYBRID)?.version).toBe(1);
  });
  it('a pure v2 host', () => {
    expect(layoutFromMountinfo(PURE_V2)).toEqual({ version: 2, root: '/sys/fs/cgroup' });
  });
  it('limits: max and v1 unlimited are undefined', () => {
    expect(parseLimit('max\n')).toBeUndefined();
    expect(parseLimit('9223372036854771712\n')).toBeUndefined();
    expect(parseLimit('33554432\n')).toBe(33554432);
  });
});

describe('pure stat parsers', () => {
  it('v1', () => {
    expect(
      statsFromV1({
        memoryUsage: '10485760\n',
        memoryLimit: '33554432\n',
        memoryStat: 'cache 100\ntotal_inactive_file 4096\n',
        cpuacctUsage: '123456789\n',
        cpuStat: 'nr_periods 20\nnr_throttled 7\nthrottled_time 999\n',
        pidsCurrent: '3\n',
      }),
    ).toEqual({ memoryBytes: 10485760 - 4096, memoryLimitBytes: 33554432, cpuUsageNs: 123456789, pids: 3, throttledPeriods: 7 });
  });
  it('v2', () => {
    expect(
      statsFromV2({
        memoryCurrent: '2097152\n',
        memoryMax: 'max\n',
        memoryStat: 'anon 1\ninactive_file 1024\n',
        cpuStat: 'usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 10\nnr_throttled 4\nthrottled_usec 77\n',
        pidsCurrent: '2\n',
      }),
    ).toEqual({ memoryBytes: 2097152 - 1024, cpuUsageNs: 5_000_000, pids: 2, throttledPeriods: 4 });
  });
});

describe('reader on fake cgroup trees', () => {
  let base: string;
  const path = 'tscompose/proj/c1';
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), `tsc-cgstats-${process.pid}-`));
    const w = (rel: string, content: string) => {
      mkdirSync(join(base, rel, '..'), { recursive: true });
      writeFileSync(join(base, rel), content);
    };
    w(`v1/memory/${path}/memory.usage_in_bytes`, '8192\n');
    w(`v1/memory/${path}/memory.limit_in_bytes`, '9223372036854771712\n');
    w(`v1/memory/${path}/memory.stat`, 'total_inactive_file 0\n');
    w(`v1/memory/${path}/memory.oom_control`, 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    w(`v1/cpuacct/${path}/cpuacct.usage`, '42\n');
    w(`v1/cpu/${path}/cpu.stat`, 'nr_periods 1\nnr_throttled 1\nthrottled_time 5\n');
    w(`v1/pids/${path}/pids.current`, '1\n');
    w(`v2/${path}/memory.current`, '4096\n');
    w(`v2/${path}/memory.max`, '33554432\n');
    w(`v2/${path}/memory.events`, 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    w(`v2/${path}/cpu.stat`, 'usage_usec 7\nnr_throttled 0\n');
    w(`v2/${path}/pids.current`, '5\n');
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const v1 = () => ({
    version: 1 as const,
    mounts: { memory: join(base, 'v1/memory'), cpuacct: join(base, 'v1/cpuacct'), cpu: join(base, 'v1/cpu'), pids: join(base, 'v1/pids') },
  });
  const v2 = () => ({ version: 2 as const, root: join(base, 'v2') });

  it('v1 tree', async () => {
    expect(await readCgroupStats(v1(), path)).toEqual({ memoryBytes: 8192, cpuUsageNs: 42, pids: 1, throttledPeriods: 1 });
    expect(await readOomKills(v1(), path)).toBe(2);
  });
  it('v2 tree', async () => {
    expect(await readCgroupStats(v2(), path)).toEqual({ memoryBytes: 4096, memoryLimitBytes: 33554432, cpuUsageNs: 7000, pids: 5, throttledPeriods: 0 });
    expect(await readOomKills(v2(), path)).toBe(1);
  });
  it('a missing cgroup gives undefined', async () => {
    expect(await readCgroupStats(v1(), 'tscompose/proj/none')).toBeUndefined();
    expect(await readCgroupStats(v2(), 'tscompose/proj/none')).toBeUndefined();
  });
});
