/**
 * `stats`: per-container CPU, memory, network and PIDs as `docker compose stats` shows them. Pure
 * formatting plus a sampler: CPU % is the container's CPU time over the wall time between two readings
 * (100% = one core, as Docker); NET I/O is what the container's interfaces (not lo) moved.
 */
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import type { ContainerSummary } from '../api.js';
import type { ContainerStats } from '../runtime/api.js';
import { humanSize } from '../cli/human-size.js';
import { alignColumns } from '../cli/go-template.js';
import { containerBlockIo, type BlockIo } from './block-io.js';

export interface StatsSample {
  at: number;
  stats?: ContainerStats;
  net: { rx: number; tx: number };
  blk?: BlockIo;
}

/** One row of `stats --format json` (Docker's field names). */
export interface StatsRow {
  BlockIO: string;
  CPUPerc: string;
  Container: string;
  ID: string;
  MemPerc: string;
  MemUsage: string;
  Name: string;
  NetIO: string;
  PIDs: string;
}

/** go-units BytesSize: binary units, 4 significant digits ("1.234MiB"). */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** Bytes received and sent by a /proc/PID/net/dev, loopback left out. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = (m[2] ?? '').trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

export function statsRow(c: Pick<ContainerSummary, 'ID' | 'Name'>, a: StatsSample, b: StatsSample, hostMemory = totalmem()): StatsRow {
  const s = b.stats;
  const wall = (b.at - a.at) * 1e6;
  const cpu = s && a.stats && wall > 0 ? ((s.cpuUsageNs - a.stats.cpuUsageNs) / wall) * 100 : 0;
  const limit = s?.memoryLimitBytes ?? hostMemory;
  const mem = s?.memoryBytes ?? 0;
  return {
    BlockIO: `${humanSize(b.blk?.read ?? 0, 3)} / ${humanSize(b.blk?.write ?? 0, 3)}`,
    CPUPerc: `${Math.max(0, cpu).toFixed(2)}%`,
    Container: c.ID,
    ID: c.ID,
    MemPerc: `${(limit > 0 ? (mem / limit) * 100 : 0).toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    Name: c.Name,
    NetIO: `${humanSize(b.net.rx, 3)} / ${humanSize(b.net.tx, 3)}`,
    PIDs: String(s?.pids ?? 0),
  };
}

/** Docker's stats table (tabwriter, padding 3). */
/** docker stats' column titles, for `--format "table {{.Name}}\t{{.CPUPerc}}..."`. */
export const STATS_HEADERS: Readonly<Record<string, string>> = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

/** docker stats' default table, aligned as Docker's tabwriter (columns at least 10 wide, 3 spaces apart). */
export function statsTable(rows: readonly StatsRow[]): string {
  const head = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];
  const body = rows.map((r) => [r.ID, r.Name, r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs]);
  return alignColumns([head, ...body].map((cells) => cells.join('\t'))).map((l) => `${l}\n`).join('');
}

/** A reading of one container (runtime stats and its PID 1's network counters). */
export async function sample(stats: (id: string) => Promise<ContainerStats | undefined>, c: Pick<ContainerSummary, 'ID' | 'Pid'> & Partial<Pick<ContainerSummary, 'Project'>>): Promise<StatsSample> {
  const [s, dev, blk] = await Promise.all([
    stats(c.ID).catch(() => undefined),
    c.Pid === undefined ? Promise.resolve('') : readFile(`/proc/${c.Pid}/net/dev`, 'utf8').catch(() => ''),
    c.Project === undefined ? Promise.resolve(undefined) : containerBlockIo(c.Project, c.ID).catch(() => undefined),
  ]);
  return { at: Date.now(), ...(s ? { stats: s } : {}), net: parseNetDev(dev), ...(blk ? { blk } : {}) };
}
