/**
 * The tsc-lb process (native/lb/tsc-lb.c) seen from Node: spawn, one JSON request per line on its stdin,
 * replies matched by id on its stdout. It dies with us (PR_SET_PDEATHSIG) and when its stdin closes.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TscError } from '../../errors.js';
import { spawnHelper } from '../../runtime/posix-child.js';
import { parseReply, type FromLb, type LbOptions, type ToLb } from './protocol.js';

/** native/build/tsc-lb of this package (from src/network/lb or dist/network/lb), or $TSCOMPOSE_LB_BIN. */
export function lbBinary(): string {
  const bin = process.env.TSCOMPOSE_LB_BIN ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../native/build/tsc-lb');
  if (!existsSync(bin)) throw new TscError('INTERNAL', `load balancer not built (${bin}); run npm run build`);
  return bin;
}

export class LbProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters = new Map<number, { resolve: (r: FromLb) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private exited = false;
  private held = false;
  private stderrTail = '';
  readonly done: Promise<void>;

  constructor(threads: number, o: LbOptions, onUnexpectedExit: (why: string) => void) {
    const args = ['--threads', String(threads), '--connect-timeout', String(o.connectTimeoutMs), '--fail-backoff', String(o.failBackoffMs), '--replay', String(o.replayBytes), '--parent', String(process.pid)];
    this.child = spawnHelper(lbBinary(), args);
    this.child.stdin.on('error', () => undefined); // EPIPE after an exit: reported through 'exit'
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    // lines split by hand: node:readline costs ~5 ms to load on the path of the first `up`
    let buf = '';
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.onLine(line);
      }
    });
    this.done = new Promise((res) => {
      this.child.once('exit', (code, signal) => {
        this.exited = true;
        const why = `load balancer process exited (${signal ?? `status ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`;
        for (const w of this.waiters.values()) w.reject(new TscError('NETWORK', why));
        this.waiters.clear();
        if (!this.closing) onUnexpectedExit(why);
        res();
      });
    });
    this.hold(false);
  }

  private onLine(line: string): void {
    const r = parseReply(line);
    if (!r) return;
    const w = this.waiters.get(r.id);
    if (!w) return;
    this.waiters.delete(r.id);
    this.hold(this.held);
    if (r.error !== undefined) w.reject(new TscError(r.code === 'CONFLICT' ? 'CONFLICT' : 'NETWORK', r.error));
    else w.resolve(r);
  }

  private closing = false;

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Keep Node's event loop alive while listeners exist or replies are awaited, as a net.Server would. */
  hold(on: boolean): void {
    this.held = on;
    const ref = on || this.waiters.size > 0;
    for (const h of [this.child, this.child.stdout, this.child.stderr, this.child.stdin]) {
      if (h instanceof net.Socket || h === this.child) {
        if (ref) h.ref();
        else h.unref();
      }
    }
  }

  request(msg: ToLb): Promise<FromLb> {
    if (this.exited) return Promise.reject(new TscError('NETWORK', 'load balancer process is not running'));
    const id = ++this.nextId;
    return new Promise((res, rej) => {
      this.waiters.set(id, { resolve: res, reject: rej });
      this.hold(this.held);
      this.child.stdin.write(JSON.stringify({ id, ...msg }) + '\n');
    });
  }

  /** Close its stdin (it exits and the kernel closes every socket); SIGKILL if it lingers. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.exited) {
      this.child.stdin.end();
      const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.done;
      clearTimeout(t);
    }
  }
}
