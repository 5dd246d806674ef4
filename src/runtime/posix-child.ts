/**
 * A long-lived helper (tsc-runtime serve, tsc-net serve, tsc-lb) started by posix_spawn (src/sys/spawn.ts)
 * rather than child_process.spawn, shaped as the part of a ChildProcess its users touch: pid, stdin,
 * stdout, stderr, exitCode / signalCode, kill(), ref() / unref(), and 'exit' then 'close' events.
 *
 * Why: a Node spawn forks all of Node and blocks the event loop until the exec, 13-27 ms per helper on
 * these VMs, against 4-8 ms here; a supervisor starts three helpers on its way to its first `up`.
 *
 * libuv does not know this child: its end is seen as EOF on its stdout and stderr (so the user reads both,
 * as every helper's user does), and its status is then collected with waitpid (polled briefly if it closed
 * them before exiting), which also leaves no zombie.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { reapStatus, spawnPiped } from '../sys/spawn.js';

const signalName = (n: number): NodeJS.Signals | null =>
  (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) ?? null;

export class PosixChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdin: Socket;
  readonly stdout: Socket;
  readonly stderr: Socket | null;
  private open: number;

  constructor(readonly pid: number, fds: { stdinFd: number; stdoutFd: number; stderrFd?: number }) {
    super();
    this.stdin = new Socket({ fd: fds.stdinFd, readable: false, writable: true });
    this.stdout = new Socket({ fd: fds.stdoutFd, readable: true, writable: false });
    this.stderr = fds.stderrFd === undefined ? null : new Socket({ fd: fds.stderrFd, readable: true, writable: false });
    this.stdin.on('error', () => undefined); // EPIPE once it is gone: reported by 'exit'
    const outs = [this.stdout, ...(this.stderr ? [this.stderr] : [])];
    this.open = outs.length;
    for (const s of outs) {
      let closed = false;
      s.on('error', () => undefined); // the close follows
      s.once('close', () => {
        if (closed) return;
        closed = true;
        if (--this.open === 0) this.collect(100);
      });
    }
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.exitCode !== null || this.signalCode !== null) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** As ChildProcess: its pipes keep the event loop alive while referenced (there is no process handle). */
  ref(): void {
    for (const s of [this.stdin, this.stdout, this.stderr]) s?.ref();
  }

  unref(): void {
    for (const s of [this.stdin, this.stdout, this.stderr]) s?.unref();
  }

  /** Its output ended: wait for its exit status (its fds close just before it becomes a zombie: a few 2 ms
   *  polls first, then 50 ms ones, ~5 s in all), then 'exit' and 'close'. */
  private collect(tries: number): void {
    let st: ReturnType<typeof reapStatus>;
    try {
      st = reapStatus(this.pid);
    } catch {
      st = { code: null, signal: null };
    }
    if (st === undefined && tries > 0) {
      setTimeout(() => this.collect(tries - 1), tries > 95 ? 2 : 50).unref();
      return;
    }
    this.exitCode = st?.code ?? null;
    this.signalCode = st?.signal != null ? signalName(st.signal) : null;
    if (this.exitCode === null && this.signalCode === null) this.exitCode = 255; // unknown: it ended somehow
    this.stdin.destroy();
    this.emit('exit', this.exitCode, this.signalCode);
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/** `bin args` by posix_spawn, or undefined when that cannot be done here (the caller spawns as before). */
export function spawnPosix(bin: string, args: readonly string[], opts: { cwd?: string; stderr?: 'null' | 'pipe' } = {}): PosixChild | undefined {
  try {
    const h = spawnPiped(bin, args, opts);
    return new PosixChild(h.pid, h);
  } catch {
    return undefined;
  }
}

/**
 * A long-lived helper with stdin, stdout and stderr piped (tsc-net serve, tsc-lb): by posix_spawn where it
 * can be done, else by Node's spawn. A PosixChild has every member of a ChildProcess these helpers' users
 * touch (stdio streams, pid, exitCode/signalCode, kill, ref/unref, 'exit' and 'close'), hence the cast.
 */
export function spawnHelper(bin: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  const posix = spawnPosix(bin, args, { stderr: 'pipe' });
  return posix ? (posix as unknown as ChildProcessWithoutNullStreams) : spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
}
