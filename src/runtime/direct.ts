/**
 * What the supervisor can do to a container without spawning tsc-runtime, following the tool's own rules
 * (native/src/main.c): a process spawn costs a fork of the whole Node process and blocks its event loop
 * until the child execs, which is most of the time of a `down` or a scale-down of many containers.
 *
 *  - signal: PID 1 through a pidfd, trusted only when its start time still matches state.json (as
 *    `tsc-runtime kill ID SIG` without --all);
 *  - delete of a stopped container whose shim is gone: the cgroup and the state dir (as `delete`, which
 *    has nothing left to kill or wait for then).
 * Anything unusual (no state, a live shim, fake cgroups, koffi missing) answers 'fallback': use the tool.
 */
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from '../state/proc.js';
import { removeCgroups } from './container-remove.js';
import { signalNumber } from './signals.js';

interface StateFile {
  pid?: unknown;
  pidStartTime?: unknown;
  shimPid?: unknown;
  shimStartTime?: unknown;
  cgroupsPath?: unknown;
  cgroupFake?: unknown;
  cgroupRoot?: unknown;
}

async function readState(dir: string): Promise<StateFile | undefined> {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as unknown; // tmpfs: one blocking read
    return typeof v === 'object' && v !== null ? (v as StateFile) : undefined;
  } catch {
    return undefined;
  }
}

function sameProcess(pid: unknown, start: unknown): boolean {
  if (typeof pid !== 'number' || pid <= 0 || (typeof start !== 'number' && typeof start !== 'string')) return false;
  return processStartTime(pid) === String(start);
}

/** Signal PID 1. 'gone': it has exited (not an error); 'fallback': let the tool do it. */
export async function signalDirect(runtimeRoot: string, id: string, signal: string): Promise<'sent' | 'gone' | 'fallback'> {
  let num: number;
  try {
    num = signalNumber(signal);
  } catch {
    return 'fallback';
  }
  const st = await readState(join(runtimeRoot, id));
  if (!st || typeof st.pid !== 'number') return 'fallback';
  let sys: typeof import('../sys/pidfd.js');
  try {
    sys = await import('../sys/pidfd.js');
  } catch {
    return 'fallback';
  }
  let fd: number | undefined;
  try {
    fd = sys.pidfdOpen(st.pid);
    if (fd === undefined) return 'gone';
    // the pidfd pins this process; its start time says whether it is still the container's PID 1
    if (!sameProcess(st.pid, st.pidStartTime)) return 'gone';
    return sys.pidfdSendSignal(fd, num) ? 'sent' : 'gone';
  } catch {
    return 'fallback';
  } finally {
    if (fd !== undefined) sys.pidfdClose(fd);
  }
}

/** Delete a stopped container whose PID 1 and shim are gone: cgroup, then state dir. */
export async function deleteStoppedDirect(runtimeRoot: string, id: string): Promise<'deleted' | 'fallback'> {
  const dir = join(runtimeRoot, id);
  const st = await readState(dir);
  if (!st) return 'fallback';
  const exited = existsSync(join(dir, 'exit.json'));
  if (!exited || sameProcess(st.pid, st.pidStartTime)) return 'fallback';
  // the shim writes exit.json, drains the last log lines and exits: give it a moment
  for (let i = 0; i < 100 && sameProcess(st.shimPid, st.shimStartTime); i++) await new Promise((r) => setTimeout(r, 5));
  if (sameProcess(st.shimPid, st.shimStartTime)) return 'fallback';
  if (st.cgroupFake === true || (typeof st.cgroupRoot === 'string' && st.cgroupRoot !== '' && st.cgroupRoot !== '/sys/fs/cgroup')) return 'fallback';
  if (typeof st.cgroupsPath === 'string' && st.cgroupsPath !== '') {
    await removeCgroups(st.cgroupsPath, 5000);
  }
  await fsp.rm(dir, { recursive: true, force: true });
  return 'deleted';
}
