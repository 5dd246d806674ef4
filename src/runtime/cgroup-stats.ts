/**
 * Container stats and OOM counters from the container's cgroup, for cgroup v1 (this host) and v2.
 * Pure parsers of the kernel's files, plus a reader that takes the cgroup mount layout as a parameter
 * so that tests run it on a fake directory tree of either version.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStats } from './api.js';

export type CgroupLayout =
  | { version: 1; mounts: Record<string, string> } // controller → mount point (e.g. memory → /sys/fs/cgroup/memory)
  | { version: 2; root: string };

const NOT_CONTROLLERS = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'favordynmods', 'nsdelegate']);

/** Cgroup mounts from /proc/self/mountinfo: v1 controllers and the v2 mount. */
export function parseMountinfo(text: string): { v1: Record<string, string>; v2?: string } {
  const v1: Record<string, string> = {};
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = unescapeMount(left[4] ?? '');
    const fstype = right[0];
    if (fstype === 'cgroup2') v2 ??= mountPoint;
    else if (fstype === 'cgroup') {
      for (const opt of (right[2] ?? '').split(',')) {
        if (NOT_CONTROLLERS.has(opt) || opt.includes('=')) continue;
        v1[opt] ??= mountPoint;
      }
    }
  }
  return v2 === undefined ? { v1 } : { v1, v2 };
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** v1 when the memory controller is on a v1 hierarchy (hybrid hosts such as this one), else v2. */
export function layoutFromMountinfo(text: string): CgroupLayout | undefined {
  const m = parseMountinfo(text);
  if (m.v1.memory !== undefined) return { version: 1, mounts: m.v1 };
  if (m.v2 !== undefined) return { version: 2, root: m.v2 };
  return undefined;
}

/** "key value" lines (cpu.stat, memory.stat, memory.events, memory.oom_control) → map. */
export function parseKeyValues(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?[0-9]+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

/** A single-number file; "max" and v1's "unlimited" (≥ 2^62) give undefined. */
export function parseLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === 'max' || t === '' || !/^[0-9]+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 2 ** 62 ? undefined : n;
}

function num(text: string | undefined): number {
  const n = Number((text ?? '').trim());
  return Number.isFinite(n) ? n : 0;
}

export interface V1Files {
  memoryUsage?: string;
  memoryLimit?: string;
  memoryStat?: string;
  cpuacctUsage?: string;
  cpuStat?: string;
  pidsCurrent?: string;
}

/** Memory as Docker shows it: usage minus inactive file cache. */
export function statsFromV1(f: V1Files): ContainerStats {
  const memStat = parseKeyValues(f.memoryStat ?? '');
  const usage = num(f.memoryUsage);
  const inactive = memStat.get('total_inactive_file') ?? 0;
  const out: ContainerStats = {
    memoryBytes: Math.max(0, inactive < usage ? usage - inactive : usage),
    cpuUsageNs: num(f.cpuacctUsage),
    pids: num(f.pidsCurrent),
  };
  const limit = f.memoryLimit === undefined ? undefined : parseLimit(f.memoryLimit);
  if (limit !== undefined) out.memoryLimitBytes = limit;
  const thr = parseKeyValues(f.cpuStat ?? '').get('nr_throttled');
  if (thr !== undefined) out.throttledPeriods = thr;
  return out;
}

export interface V2Files {
  memoryCurrent?: string;
  memoryMax?: string;
  memoryStat?: string;
  cpuStat?: string;
  pidsCurrent?: string;
}

export function statsFromV2(f: V2Files): ContainerStats {
  const memStat = parseKeyValues(f.memoryStat ?? '');
  const usage = num(f.memoryCurrent);
  const inactive = memStat.get('inactive_file') ?? 0;
  const cpu = parseKeyValues(f.cpuStat ?? '');
  const out: ContainerStats = {
    memoryBytes: Math.max(0, inactive < usage ? usage - inactive : usage),
    cpuUsageNs: (cpu.get('usage_usec') ?? 0) * 1000,
    pids: num(f.pidsCurrent),
  };
  const limit = f.memoryMax === undefined ? undefined : parseLimit(f.memoryMax);
  if (limit !== undefined) out.memoryLimitBytes = limit;
  const thr = cpu.get('nr_throttled');
  if (thr !== undefined) out.throttledPeriods = thr;
  return out;
}

/** OOM-kill counter: v1 memory.oom_control `oom_kill`, v2 memory.events `oom_kill`. */
export function oomKillCount(text: string): number {
  return parseKeyValues(text).get('oom_kill') ?? 0;
}

async function read(p: string | undefined): Promise<string | undefined> {
  if (p === undefined) return undefined;
  try {
    return await fsp.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** Directory of `cgroupsPath` under a controller (v1) or the v2 root. */
export function cgroupDir(layout: CgroupLayout, cgroupsPath: string, controller: string): string | undefined {
  const rel = cgroupsPath.replace(/^\/+/, '');
  if (layout.version === 2) return join(layout.root, rel);
  const m = layout.mounts[controller];
  return m === undefined ? undefined : join(m, rel);
}

/** Stats of a cgroup, or undefined when it does not exist (container gone or never created). */
export async function readCgroupStats(layout: CgroupLayout, cgroupsPath: string): Promise<ContainerStats | undefined> {
  const d = (c: string, f: string): string | undefined => {
    const dir = cgroupDir(layout, cgroupsPath, c);
    return dir === undefined ? undefined : join(dir, f);
  };
  if (layout.version === 2) {
    const [memoryCurrent, memoryMax, memoryStat, cpuStat, pidsCurrent] = await Promise.all(
      ['memory.current', 'memory.max', 'memory.stat', 'cpu.stat', 'pids.current'].map((f) => read(d('', f))),
    );
    if (memoryCurrent === undefined && cpuStat === undefined) return undefined;
    return statsFromV2({ memoryCurrent, memoryMax, memoryStat, cpuStat, pidsCurrent });
  }
  const [memoryUsage, memoryLimit, memoryStat, cpuacctUsage, cpuStat, pidsCurrent] = await Promise.all([
    read(d('memory', 'memory.usage_in_bytes')),
    read(d('memory', 'memory.limit_in_bytes')),
    read(d('memory', 'memory.stat')),
    read(d('cpuacct', 'cpuacct.usage')),
    read(d('cpu', 'cpu.stat')),
    read(d('pids', 'pids.current')),
  ]);
  if (memoryUsage === undefined && cpuacctUsage === undefined && pidsCurrent === undefined) return undefined;
  return statsFromV1({ memoryUsage, memoryLimit, memoryStat, cpuacctUsage, cpuStat, pidsCurrent });
}

/** Current OOM-kill count of the cgroup (undefined when unreadable). */
export async function readOomKills(layout: CgroupLayout, cgroupsPath: string): Promise<number | undefined> {
  const dir = cgroupDir(layout, cgroupsPath, 'memory');
  if (dir === undefined) return undefined;
  const t = await read(join(dir, layout.version === 2 ? 'memory.events' : 'memory.oom_control'));
  return t === undefined ? undefined : oomKillCount(t);
}

let hostLayout: Promise<CgroupLayout | undefined> | undefined;

/** This host's layout, from /proc/self/mountinfo (read once). */
export function hostCgroupLayout(): Promise<CgroupLayout | undefined> {
  hostLayout ??= fsp.readFile('/proc/self/mountinfo', 'utf8').then(layoutFromMountinfo, () => undefined);
  return hostLayout;
}
