/**
 * The supervisor's watchdog: a small native process (native/launch/tsc-launch.c --watchdog) that starts
 * a new supervisor when this one dies without saying so (SIGKILL, the OOM killer, a crash), so that a
 * stack left running with `up -d` is kept as declared whatever crashed, as dockerd under systemd is. The
 * new supervisor adopts the running containers and catches up on the exits it missed (restart policies).
 *
 * - It is started a little after the supervisor listens (a spawn blocks the event loop a few ms: not on
 *   the way of the first request), its pid in projects/NAME/watchdog.pid.
 * - An exit on purpose (down, SIGTERM, the idle exit) tells it "x" first and waits for it to go: `down`
 *   leaves no process behind.
 * - A supervisor that takes the project over (a CLI started it after the kill, before the watchdog's
 *   delay ran out) ends its predecessor's watchdog: one watchdog per project.
 * - A watchdog that ends while its supervisor runs (someone killed it) is started again (after 1 s, doubling up to 60 s).
 * Decision: the first restart comes 2 s after the death (the delay doubles for restarts that follow one
 * another within a minute, up to 60 s), time for a CLI run right after a kill to start its own.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawnHelper } from '../runtime/posix-child.js';
import { defaultRuntimeBinary } from '../runtime/runtime-bin.js';

export interface WatchdogOptions {
  /** projects/NAME/watchdog.pid */
  pidFile: string;
  logFile: string;
  /** A restart happens only while this file exists (a finished `down` removes it). */
  stateFile: string;
  /** How the supervisor was started: node and its arguments (the watchdog starts the same, for NAME). */
  argv: readonly string[];
  log: (m: string) => void;
}

/** native/build/tsc-launch, next to tsc-runtime; undefined when not built. */
export function launchBinary(): string | undefined {
  const bin = join(dirname(defaultRuntimeBinary()), 'tsc-launch');
  return existsSync(bin) ? bin : undefined;
}

/** The watchdog's command line (pure): tsc-launch --watchdog LOG STATE -- ARGV. */
export function watchdogArgs(o: Pick<WatchdogOptions, 'logFile' | 'stateFile' | 'argv'>): string[] {
  return ['--watchdog', o.logFile, o.stateFile, '--', ...o.argv];
}

/** Whether /proc's cmdline (NUL-separated) is the watchdog of the project whose state file is `stateFile`. */
export function isWatchdogOf(cmdline: string, stateFile: string): boolean {
  const a = cmdline.split('\0');
  return a[0] !== undefined && /(^|\/)tsc-launch$/.test(a[0]) && a[1] === '--watchdog' && a[3] === stateFile;
}

export class Watchdog {
  private child: ChildProcessWithoutNullStreams | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set by stop(): the watchdog's end, awaited by every later stop(). */
  private stopping: Promise<void> | undefined;
  private respawnMs = 500;

  constructor(private readonly o: WatchdogOptions) {}

  /** Ends a predecessor's watchdog (its pid file), then starts ours `afterMs` from now (again after a stop). */
  startLater(afterMs: number): void {
    this.stopping = undefined;
    clearTimeout(this.timer);
    endPredecessorWatchdog(this.o.pidFile, this.o.stateFile);
    this.timer = setTimeout(() => this.start(), afterMs);
    this.timer.unref();
  }

  private start(): void {
    const bin = launchBinary();
    if (this.stopping || this.child || !bin) return;
    try {
      const child = spawnHelper(bin, watchdogArgs(this.o));
      child.on('error', () => undefined);
      child.stdin.on('error', () => undefined);
      child.stdout.resume(); // it writes nothing; its end shows its exit
      child.stderr.resume();
      child.unref();
      this.child = child;
      // a watchdog that ends while this supervisor runs (killed by someone) is started again, backing off
      child.once('exit', () => {
        if (this.child !== child || this.stopping) return;
        this.child = undefined;
        this.respawnMs = Math.min(this.respawnMs * 2, 60_000);
        this.startLater(this.respawnMs);
      });
      const tmp = `${this.o.pidFile}.tmp`;
      writeFileSync(tmp, `${child.pid}\n`, { mode: 0o600 });
      renameSync(tmp, this.o.pidFile);
    } catch (e) {
      this.o.log(`watchdog: not started: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** This supervisor exits on purpose: the watchdog is told so; resolves once it is gone (≤ 2 s). */
  stop(): Promise<void> {
    return (this.stopping ??= this.end());
  }

  private async end(): Promise<void> {
    clearTimeout(this.timer);
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    rmSync(this.o.pidFile, { force: true });
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((res) => {
      const t = setTimeout(res, 2_000);
      child.once('exit', () => {
        clearTimeout(t);
        res();
      });
    });
    child.stdin.end('x');
    await gone;
  }
}

/** The watchdog of a supervisor this one succeeds (it was killed): ended, as this one serves now. */
export function endPredecessorWatchdog(pidFile: string, stateFile: string): void {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return;
    if (isWatchdogOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), stateFile)) process.kill(pid, 'SIGTERM');
  } catch {
    // no pid file, or that process is gone (or became the supervisor it was to start)
  }
}
