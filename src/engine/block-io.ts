/**
 * `stats` BLOCK I/O: bytes the container's cgroup read from and wrote to block devices, as Docker sums
 * them. cgroup v2: io.stat's rbytes/wbytes over all devices. cgroup v1: the first of the CFQ, BFQ and
 * throttle `io_service_bytes_recursive` files that has per-device lines (runc's order), "Read"/"Write"
 * rows. (Recent kernels count v1 throttle bytes only for cgroups with a throttle limit: 0 there, as for Docker.)
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { cgroupDir, hostCgroupLayout, type CgroupLayout } from '../runtime/cgroup-stats.js';

export interface BlockIo {
  read: number;
  write: number;
}

/** v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." per device. */
export function parseIoStat(text: string): BlockIo {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    for (const kv of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = kv.split('=');
      if (k === 'rbytes') read += Number(v) || 0;
      else if (k === 'wbytes') write += Number(v) || 0;
    }
  }
  return { read, write };
}

/** v1 io_service_bytes: "MAJ:MIN Read N" ... "Total N"; undefined when it has no device line. */
export function parseIoServiceBytes(text: string): BlockIo | undefined {
  let read = 0;
  let write = 0;
  let devices = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3 || !/^\d+:\d+$/.test(f[0] ?? '')) continue;
    devices = true;
    const op = (f[1] ?? '').toLowerCase();
    if (op === 'read') read += Number(f[2]) || 0;
    else if (op === 'write') write += Number(f[2]) || 0;
  }
  return devices ? { read, write } : undefined;
}

const V1_FILES = ['blkio.io_service_bytes_recursive', 'blkio.bfq.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive'];

const readText = (p: string): Promise<string | undefined> => fsp.readFile(p, 'utf8').catch(() => undefined);

export async function readBlockIo(layout: CgroupLayout, cgroupsPath: string): Promise<BlockIo | undefined> {
  if (layout.version === 2) {
    const t = await readText(join(cgroupDir(layout, cgroupsPath, 'io') ?? '', 'io.stat'));
    return t === undefined ? undefined : parseIoStat(t);
  }
  const dir = cgroupDir(layout, cgroupsPath, 'blkio');
  if (dir === undefined) return undefined;
  let seen = false;
  for (const f of V1_FILES) {
    const t = await readText(join(dir, f));
    if (t === undefined) continue;
    seen = true;
    const r = parseIoServiceBytes(t);
    if (r) return r;
  }
  return seen ? { read: 0, write: 0 } : undefined;
}

/** The block I/O of a tscompose container (undefined: no cgroup to read). */
export async function containerBlockIo(project: string, id: string): Promise<BlockIo | undefined> {
  // oci-config loads on use (it brings the seccomp profile along)
  const [layout, { cgroupsPathFor }] = await Promise.all([hostCgroupLayout(), import('../runtime/oci-config.js')]);
  return layout ? readBlockIo(layout, cgroupsPathFor(project, id)) : undefined;
}
