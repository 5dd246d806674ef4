/**
 * The long-lived `tsc-net serve` process (native/net/tsc-net.c) seen from Node: one request per line on its
 * stdin ("ID VERB ARG..."; nft scripts follow their line as "ID nft LEN" + LEN bytes), one reply line per
 * request ("ID STATUS MESSAGE"), in order. One process per manager instead of a process (or three: tsc-net,
 * ip, nft) per step: no fork/exec and no nft start-up (~60 ms each on a loaded host) on the paths of up,
 * scale and down. The helper works through its requests one at a time (they serialize on the kernel's
 * RTNL lock anyway), so requests made at once are simply queued in its pipe.
 * It exits when its stdin closes (this process died or closed it); it is unref'd while idle, so it never
 * keeps a CLI process alive. If it dies, the requests in flight fail and the next request starts a new one.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawnHelper } from '../runtime/posix-child.js';
import { TscError } from '../errors.js';

/** How long close() lets the helper finish the request in hand before it is killed. */
const CLOSE_GRACE_MS = 2_000;

/** Exit/reply status of tsc-net when libnftables cannot be loaded. */
export const NO_LIBNFTABLES = 3;

export class HelperError extends TscError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('NETWORK', message);
  }
}

interface Pending {
  verb: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class NetHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buf = '';
  private stderrTail = '';

  constructor(private readonly bin: string) {}

  /** Pid of the running helper, if any (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process ahead of the first request (its start-up then overlaps other work). */
  warm(): void {
    this.proc();
  }

  /** Runs one tsc-net verb; rejects with a HelperError carrying tsc-net's one-line message. */
  run(args: readonly string[], payload?: string): Promise<void> {
    const bad = args.find((a) => a === '' || /[\s]/.test(a));
    if (bad !== undefined) return Promise.reject(new TscError('INTERNAL', `tsc-net argument ${JSON.stringify(bad)} is empty or has white space`));
    const child = this.proc();
    const id = this.nextId++;
    const verb = args[0] ?? '';
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { verb, resolve, reject });
      this.hold();
      const head = payload === undefined ? `${id} ${args.join(' ')}\n` : `${id} ${verb} ${Buffer.byteLength(payload)}\n`;
      child.stdin.write(payload === undefined ? head : head + payload);
    });
  }

  /** Ends its stdin; resolves once it exited (after the request in hand), so nothing outlives a `down`. */
  close(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    // a request in hand finishes first; one stuck (in the kernel) does not hold up the exit for long
    const t = setTimeout(() => c.kill('SIGKILL'), CLOSE_GRACE_MS);
    const exited = new Promise<void>((resolve) => {
      c.once('close', () => resolve());
      c.once('error', () => resolve());
    }).finally(() => clearTimeout(t));
    c.ref(); // awaited: keep this process up until it is gone
    c.stdin.end();
    return exited;
  }

  private proc(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawnHelper(this.bin, ['serve']);
    this.child = child;
    this.buf = '';
    child.stdin.on('error', () => undefined); // EPIPE after an exit: reported through 'exit'
    child.stdout.setEncoding('utf8').on('data', (d: string) => this.onData(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-1000);
    });
    const gone = (why: string): void => {
      if (this.child === child) this.child = undefined;
      const err = new TscError('NETWORK', `network helper ${this.bin} ${why}${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    child.on('error', (e) => gone(`cannot run: ${e.message}`));
    // 'close', not 'exit': the replies it wrote before exiting are read first
    child.on('close', (code, signal) => gone(`exited (${signal ?? `status ${code}`})`));
    this.hold();
    return child;
  }

  private onData(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      const m = /^(\d+) (\d+) ?(.*)$/.exec(line);
      if (!m) continue;
      const p = this.pending.get(Number(m[1]));
      if (!p) continue;
      this.pending.delete(Number(m[1]));
      const status = Number(m[2]);
      if (status === 0) p.resolve();
      else p.reject(new HelperError(status, `tsc-net ${p.verb} failed: ${m[3] || `status ${status}`}`));
    }
    this.hold();
  }

  /** Referenced (keeps the process alive) only while requests are in flight. */
  private hold(): void {
    const c = this.child;
    if (!c) return;
    const busy = this.pending.size > 0;
    for (const h of [c, c.stdin, c.stdout, c.stderr] as unknown as Array<{ ref?(): void; unref?(): void }>) {
      if (busy) h.ref?.();
      else h.unref?.();
    }
  }
}
