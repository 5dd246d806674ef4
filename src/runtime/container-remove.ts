/**
 * Safe removal of a container directory: the overlay lives in the container's own mount namespace, so
 * normally nothing is mounted under the directory on the host; if something is (a crashed runtime, a
 * leak), it is lazily unmounted first, and the directory is never removed while a mount remains under
 * it (rm -rf through a bind mount would delete host data). Also removes leftover cgroup directories.
 */
import { spawn } from 'node:child_process';
import { promises as fsp, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, TscError } from '../errors.js';
import { cgroupDir, hostCgroupLayout } from './cgroup-stats.js';

/** Mount points at or under `dir`, deepest first, from /proc/self/mountinfo text. */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const out: string[] = [];
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const line of mountinfo.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const p = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === dir || p.startsWith(prefix)) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}

function umountLazy(p: string): Promise<void> {
  return new Promise((resolve) => {
    const c = spawn('umount', ['-l', p], { stdio: 'ignore' });
    c.on('error', () => resolve());
    c.on('close', () => resolve());
  });
}

/** Whether anything is mounted at or under `dir` on the host (a leak, or a crashed runtime's overlay). */
export function hasMountsUnder(dir: string): boolean {
  try {
    return mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), dir).length > 0;
  } catch {
    return true; // unknown: the careful path
  }
}

export async function removeContainerDir(dir: string): Promise<void> {
  // a few KiB from procfs: read at once, not through the thread pool that a scale-down's removals queue on
  const info = async (): Promise<string> => {
    try {
      return readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return '';
    }
  };
  let mounts = mountsUnder(await info(), dir);
  for (const m of mounts) await umountLazy(m);
  if (mounts.length > 0) mounts = mountsUnder(await info(), dir);
  if (mounts.length > 0) {
    throw new TscError('STATE', `refusing to remove ${dir}: still mounted: ${mounts.join(', ')}`);
  }
  await fsp.rm(dir, { recursive: true, force: true });
}

/**
 * rmdir a cgroup path in every controller. The kernel refuses (EBUSY) while a task is still in it —
 * the last processes of a killed container can take a moment to go — so `retryMs` keeps trying that long.
 */
export async function removeCgroups(cgroupsPath: string, retryMs = 0): Promise<void> {
  const layout = await hostCgroupLayout();
  if (!layout) return;
  const dirs =
    layout.version === 2
      ? [join(layout.root, cgroupsPath)]
      : Object.keys(layout.mounts).map((c) => cgroupDir(layout, cgroupsPath, c)).filter((d): d is string => d !== undefined);
  const deadline = Date.now() + retryMs;
  // An rmdir of an empty cgroup does no I/O (tens of µs): all of them at once on this thread rather than
  // one thread-pool round trip per controller, queued behind the file removals of a scale-down's replicas.
  let left = [...new Set(dirs)].filter((d) => {
    try {
      rmdirSync(d);
      return false;
    } catch (e) {
      return errnoCode(e) !== 'ENOENT';
    }
  });
  // the last tasks usually go within a few ms: look again soon, then every 25 ms
  for (let delay = 2; left.length > 0 && Date.now() < deadline; delay = Math.min(25, delay * 2)) {
    await new Promise((r) => setTimeout(r, delay));
    const results = await Promise.all(left.map((d) => fsp.rmdir(d).then(() => undefined, (e: unknown) => (errnoCode(e) === 'ENOENT' ? undefined : d))));
    left = results.filter((d): d is string => d !== undefined);
  }
}

/**
 * Whether the cgroup `path` has child cgroups (one controller looked at: tsc-runtime makes a container's
 * cgroup in all of them). A project's parent cgroup with children is in use: no need to list the records.
 */
export async function hasChildCgroups(path: string): Promise<boolean> {
  const layout = await hostCgroupLayout();
  if (!layout) return false;
  const dir = layout.version === 2 ? join(layout.root, path) : cgroupDir(layout, path, 'pids') ?? cgroupDir(layout, path, 'memory');
  if (dir === undefined) return false;
  try {
    // a cgroup directory is in memory: read at once, not queued in the thread pool behind file removals
    return readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory());
  } catch {
    return false;
  }
}

/** The parent of a container's cgroup path (`tscompose/<project>`). */
export function parentCgroup(cgroupsPath: string): string {
  return cgroupsPath.split('/').slice(0, -1).join('/');
}
