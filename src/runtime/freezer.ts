/**
 * Pause and unpause (`tscompose pause`): the cgroup freezer, as runc does it. cgroup v2 has
 * `cgroup.freeze` in the container's own cgroup. On cgroup v1 tsc-runtime does not put containers in a
 * freezer cgroup, so pausing makes one at the container's path and moves its processes in (a process
 * forked meanwhile is moved on the next round; one moved into a frozen cgroup freezes at once). The
 * freezer directory goes with the container's other cgroups (removeCgroups covers every v1 controller).
 * The kernel's freezer state is the only record of a pause: nothing to go stale.
 */
import { promises as fsp, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TscError } from '../errors.js';
import { cgroupDir, hostCgroupLayout, type CgroupLayout } from './cgroup-stats.js';

const FREEZE_TIMEOUT_MS = 5000;

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

async function readText(p: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(p, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENODEV') return undefined;
    throw e;
  }
}

const pids = (text: string | undefined): number[] => (text ?? '').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);

async function layoutOrThrow(layout?: CgroupLayout): Promise<CgroupLayout> {
  const l = layout ?? (await hostCgroupLayout());
  if (!l) throw new TscError('HOST_UNSUPPORTED', 'pause needs cgroups, and this host has none mounted');
  return l;
}

/** v1: the freezer directory of `cgroupsPath`, or undefined when the freezer controller is not mounted. */
function v1Freezer(layout: CgroupLayout, cgroupsPath: string): string | undefined {
  return layout.version === 1 ? cgroupDir(layout, cgroupsPath, 'freezer') : undefined;
}

/** The container's processes, from a controller tsc-runtime always uses. */
async function containerPids(layout: CgroupLayout, cgroupsPath: string): Promise<number[]> {
  for (const c of ['pids', 'memory', 'cpu']) {
    const d = cgroupDir(layout, cgroupsPath, c);
    const t = d === undefined ? undefined : await readText(join(d, 'cgroup.procs'));
    if (t !== undefined) return pids(t);
  }
  return [];
}

/** Move every process of the container into its freezer cgroup; true when none was left to move. */
async function gather(layout: CgroupLayout, cgroupsPath: string, dir: string): Promise<boolean> {
  const inside = new Set(pids(await readText(join(dir, 'cgroup.procs'))));
  const todo = (await containerPids(layout, cgroupsPath)).filter((p) => !inside.has(p));
  for (const p of todo) {
    await fsp.writeFile(join(dir, 'cgroup.procs'), String(p)).catch((e: unknown) => {
      if (errno(e) !== 'ESRCH') throw e; // gone meanwhile
    });
  }
  return todo.length === 0;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (let wait = 1; !(await check()); wait = Math.min(wait * 2, 50)) {
    if (Date.now() > deadline) throw new TscError('RUNTIME', `timed out waiting for the cgroup freezer to ${what}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Freeze every process of the container whose cgroup is `cgroupsPath`. */
export async function freeze(cgroupsPath: string, layout?: CgroupLayout): Promise<void> {
  const l = await layoutOrThrow(layout);
  if (l.version === 2) {
    const dir = cgroupDir(l, cgroupsPath, '') as string;
    await fsp.writeFile(join(dir, 'cgroup.freeze'), '1');
    await until(async () => /^frozen 1$/m.test((await readText(join(dir, 'cgroup.events'))) ?? ''), 'freeze the container');
    return;
  }
  const dir = v1Freezer(l, cgroupsPath);
  if (dir === undefined) throw new TscError('HOST_UNSUPPORTED', 'pause needs the cgroup freezer controller, which this host does not mount');
  await fsp.mkdir(dir, { recursive: true });
  // processes forked while we move the others follow their parent (or are caught on the next round)
  for (let i = 0; i < 10 && !(await gather(l, cgroupsPath, dir)); i++);
  await fsp.writeFile(join(dir, 'freezer.state'), 'FROZEN');
  try {
    await until(async () => (await readText(join(dir, 'freezer.state')))?.trim() === 'FROZEN', 'freeze the container');
    // a process forked just before the freeze outside the freezer cgroup: moved now, it freezes on entry
    await until(() => gather(l, cgroupsPath, dir), 'take in every process of the container');
  } catch (e) {
    await fsp.writeFile(join(dir, 'freezer.state'), 'THAWED').catch(() => undefined);
    throw e;
  }
}

/** Thaw the container; a container that was never paused is left as it is (no freezer cgroup is made). */
export async function thaw(cgroupsPath: string, layout?: CgroupLayout): Promise<void> {
  const l = layout ?? (await hostCgroupLayout());
  if (!l) return;
  const file = l.version === 2 ? join(cgroupDir(l, cgroupsPath, '') as string, 'cgroup.freeze') : (() => {
    const d = v1Freezer(l, cgroupsPath);
    return d === undefined ? undefined : join(d, 'freezer.state');
  })();
  if (file === undefined) return;
  try {
    // cgroupfs: no disk behind it (tens of µs), so on this thread, not three thread-pool round trips
    // queued behind file removals on the way of every stop
    writeFileSync(file, l.version === 2 ? '0' : 'THAWED');
  } catch (e) {
    if (errno(e) === 'ENOENT') return; // never paused (v1), or the container is gone
    throw e;
  }
}

/** Whether the container is paused (frozen or freezing). */
export async function isFrozen(cgroupsPath: string, layout?: CgroupLayout): Promise<boolean> {
  const l = layout ?? (await hostCgroupLayout());
  if (!l) return false;
  if (l.version === 2) return ((await readText(join(cgroupDir(l, cgroupsPath, '') as string, 'cgroup.freeze'))) ?? '0').trim() === '1';
  const d = v1Freezer(l, cgroupsPath);
  const s = d === undefined ? undefined : await readText(join(d, 'freezer.state'));
  return s !== undefined && s.trim() !== 'THAWED';
}
