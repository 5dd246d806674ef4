/**
 * pidfd_open / pidfd_send_signal / a non-blocking poll, through koffi (glibc 2.36 wrappers).
 *
 * koffi is loaded lazily on first use, so nothing that only parses files (`config`, `ps`) pays for it.
 * Only calls that are safe on Node's main thread in the host namespaces live here; none blocks:
 * poll() is always called with a timeout of 0. Watching a process we did not spawn is therefore a
 * wake-up (fs.watch on a file the process writes when it ends) plus a cheap periodic `pidfdExited`
 * check, never a blocking wait — see runtime/exit-watch.ts.
 */
import { closeSync } from 'node:fs';
import { koffiLibc } from './koffi-libc.js';

interface Libc {
  pidfdOpen: (pid: number, flags: number) => number;
  pidfdSendSignal: (fd: number, sig: number, info: null, flags: number) => number;
  poll: (fds: Array<{ fd: number; events: number; revents: number }>, n: number, timeout: number) => number;
  errno: () => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const { koffi, lib } = koffiLibc();
  const pollfd = koffi.struct('tsc_pollfd', { fd: 'int', events: 'short', revents: 'short' });
  libc = {
    pidfdOpen: lib.func('int pidfd_open(int pid, unsigned int flags)') as Libc['pidfdOpen'],
    pidfdSendSignal: lib.func('int pidfd_send_signal(int pidfd, int sig, void *info, unsigned int flags)') as Libc['pidfdSendSignal'],
    poll: lib.func('poll', 'int', [koffi.inout(koffi.pointer(pollfd)), 'unsigned long', 'int']) as Libc['poll'],
    errno: () => koffi.errno(),
  };
  return libc;
}

/** Load koffi and libc's functions now, at a moment of the caller's choosing (a failure shows at first use). */
export function warmPidfd(): void {
  try {
    const fd = pidfdOpen(process.pid);
    if (fd !== undefined) pidfdClose(fd);
  } catch {
    // reported by the first real use
  }
}

const ESRCH = 3;
const POLLIN = 0x001;

/** A pidfd for `pid`, or undefined when the process does not exist (ESRCH). */
export function pidfdOpen(pid: number): number | undefined {
  const l = load();
  const fd = l.pidfdOpen(pid, 0);
  if (fd >= 0) return fd;
  const e = l.errno();
  if (e === ESRCH) return undefined;
  throw Object.assign(new Error(`pidfd_open(${pid}): errno ${e}`), { errno: e });
}

/** Send a signal through the pidfd: false when the process has already exited (ESRCH). */
export function pidfdSendSignal(fd: number, signal: number): boolean {
  const l = load();
  if (l.pidfdSendSignal(fd, signal, null, 0) === 0) return true;
  const e = l.errno();
  if (e === ESRCH) return false;
  throw Object.assign(new Error(`pidfd_send_signal: errno ${e}`), { errno: e });
}

/** Non-blocking: true once the process behind the pidfd has exited (the pidfd polls readable). */
export function pidfdExited(fd: number): boolean {
  const fds = [{ fd, events: POLLIN, revents: 0 }];
  const n = load().poll(fds, 1, 0);
  return n > 0 && ((fds[0]?.revents ?? 0) & POLLIN) !== 0;
}

export function pidfdClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
