/**
 * Waiting for the exit of a container this process may not have started.
 *
 * The shim (the container's parent, not ours) writes `<state dir>/exit.json` when PID 1 exits, then
 * exits itself. We cannot block on a pidfd on Node's main thread, so the scheme is non-blocking:
 *  - wake-up: fs.watch (inotify) on the state directory; every event re-reads exit.json;
 *  - safety net: a pidfd on the shim (src/sys/pidfd.ts), checked with poll(timeout 0) on a slow timer
 *    (and exit.json re-read then too, covering a missed inotify event). If the shim is gone and no
 *    exit.json appeared — the shim was SIGKILLed — `onShimGone` decides the outcome.
 * A pidfd, unlike a bare pid, cannot be fooled by pid reuse once opened.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { ExitInfo } from './api.js';

export interface ExitWatchOptions {
  stateDir: string;
  shimPid?: number;
  readExit: () => Promise<ExitInfo | undefined>;
  /** The shim vanished without an exit file: report this exit. */
  onShimGone: () => Promise<ExitInfo>;
  /** Interval of the pidfd / exit-file safety check (default 1000 ms). */
  pollMs?: number;
}

export function watchExit(opts: ExitWatchOptions): Promise<ExitInfo> {
  return new Promise<ExitInfo>((resolve, reject) => {
    let done = false;
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    let pidfd: number | undefined;
    let checking = false;
    let again = false;
    let closeFd: ((fd: number) => void) | undefined;

    const finish = (e: ExitInfo | Error): void => {
      if (done) return;
      done = true;
      watcher?.close();
      if (timer) clearInterval(timer);
      if (pidfd !== undefined) closeFd?.(pidfd);
      if (e instanceof Error) reject(e);
      else resolve(e);
    };

    const check = async (shimCheck: boolean): Promise<void> => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        const ex = await opts.readExit();
        if (ex) return finish(ex);
        if (shimCheck && (await shimGone())) {
          const late = await opts.readExit();
          finish(late ?? (await opts.onShimGone()));
        }
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      } finally {
        checking = false;
        if (again && !done) {
          again = false;
          void check(false);
        }
      }
    };

    const shimGone = async (): Promise<boolean> => {
      if (opts.shimPid === undefined) return true;
      const sys = await import('../sys/pidfd.js');
      closeFd = sys.pidfdClose;
      if (pidfd === undefined) {
        pidfd = sys.pidfdOpen(opts.shimPid);
        if (pidfd === undefined) return true;
      }
      return sys.pidfdExited(pidfd);
    };

    try {
      watcher = watch(opts.stateDir, { persistent: false }, () => void check(false));
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined; // directory gone: the timer still finds the outcome
    }
    timer = setInterval(() => void check(true), opts.pollMs ?? 1000);
    void check(true);
  });
}
