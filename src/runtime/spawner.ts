/**
 * Running the helper tools (tsc-runtime, tsc-net, ip, nft) from a long-lived /bin/sh instead of forking
 * Node for each. Node's spawn forks the whole Node process and blocks the event loop until the child has
 * exec'd: on a busy host that is 10-200 ms per call, and a scale to 20 replicas makes 40 of them one after
 * the other. The shell is a small process whose forks cost next to nothing; Node only writes a line.
 *
 * Protocol: each command is `{ CMD <in >out 2>err; echo "ID $?"; } &` on the shell's stdin: the job runs
 * CMD and prints its status line; stdout/stderr are read from the job's files afterwards. Arguments are
 * single-quoted. Two forks per command (the job, CMD's): a fork of the shell is costly on this kind of
 * VM (page tables are paravirtualised), and the former `( ... & )` wrapper, which only served to reparent
 * the job, was a third. The shell reaps its finished jobs at `wait`, written whenever no command is in
 * flight (every job has printed its status and is exiting), so zombies never pile up.
 * If the shell dies, pending commands fail with a status of 127 and the next call starts a new one.
 *
 * tsc-runtime's own commands go to `tsc-runtime serve` instead of a shell (native/src/serve.c): one JSON
 * line per command, each run in a fork of that long-lived sealed process (no shell job, no exec of the
 * runtime, no libc start-up: ~4-5 ms of CPU less per container create here); same status lines back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { type PosixChild, spawnPosix } from './posix-child.js';

export interface SpawnerResult {
  code: number;
  stdout: string;
  stderr: string;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

let base: string | undefined;

/**
 * Where the work dirs go: /dev/shm (tmpfs) when there is one, else the temp dir. Every command makes and
 * unlinks two files there; on a disk filesystem each new inode is a search of the inode bitmap, which on
 * a busy ext4 (no journal: recently freed inodes are skipped one by one) was a large kernel cost per create.
 */
export function spawnerWorkBase(): string {
  if (base === undefined) {
    try {
      accessSync('/dev/shm', constants.W_OK | constants.X_OK);
      base = statSync('/dev/shm').isDirectory() ? '/dev/shm' : tmpdir();
    } catch {
      base = tmpdir();
    }
  }
  return base;
}

interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

function identity(path: string): FileIdentity | undefined {
  try {
    const st = statSync(path);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** The runner process as the Spawner uses it: a ChildProcess, or one started by posix_spawn. */
interface Runner {
  stdin: Writable | null;
  stdout: Readable | null;
  gone(): boolean;
  onExit(fn: () => void): void;
}

function childRunner(sh: ChildProcess | PosixChild): Runner {
  sh.on('error', () => undefined);
  // never keeps the process alive on its own
  sh.unref();
  return { stdin: sh.stdin, stdout: sh.stdout, gone: () => sh.exitCode !== null || sh.signalCode !== null, onExit: (fn) => void sh.on('exit', fn) };
}

class Spawner {
  private sh: Runner | undefined;
  private dir: string | undefined;
  private next = 1;
  private buf = '';
  private readonly pending = new Map<number, (code: number) => void>();
  /** The binary as it was when the shell sealed its copy: a rebuilt one is run from its path instead. */
  private sealedIdentity: FileIdentity | undefined;
  /** A sealed runner that died before answering anything (e.g. a binary without `serve`). */
  broken = false;
  private answered = false;

  /**
   * sealedBin: the "shell" is `sealedBin serve`, which holds one sealed copy of that binary and runs each of
   * its commands in a fork of itself; otherwise tsc-runtime copies itself to a sealed memfd and
   * re-executes at every call that enters a container (CVE-2019-5736), an exec of a 1 MiB binary per create.
   */
  constructor(private readonly sealedBin?: string) {}

  private shell(): { sh: Runner; dir: string } {
    if (this.sh && this.dir && !this.sh.gone()) return { sh: this.sh, dir: this.dir };
    if (!this.dir) {
      this.dir = join(spawnerWorkBase(), `tsc-spawn-${process.pid}${this.sealedBin ? '-rt' : ''}`);
      removeStale();
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const dir = this.dir;
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sealedIdentity = this.sealedBin ? identity(this.sealedBin) : undefined;
    // either outlives a SIGKILLed Node only until it reads EOF on stdin: it removes the work dir then
    const sh = this.sealedBin
      // posix_spawn (src/runtime/posix-child.ts): 4-8 ms of main-thread time here instead of 13-27 for a Node
      // spawn; its end shows as EOF on its stdout, which no job of serve keeps (each redirects to files)
      ? childRunner(spawnPosix(this.sealedBin, ['serve', '--workdir', this.dir], { cwd: '/' }) ?? spawn(this.sealedBin, ['serve', '--workdir', this.dir], { stdio: ['pipe', 'pipe', 'ignore'], cwd: '/' }))
      : childRunner(spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'], cwd: '/' }));
    this.sh = sh;
    sh.stdin?.on('error', () => undefined);
    if (!this.sealedBin) sh.stdin?.write(`trap ${quote(`rm -rf ${quote(this.dir)}`)} EXIT\n`);
    sh.stdout?.setEncoding('utf8').on('data', (d: string) => this.onData(d));
    sh.onExit(() => {
      if (this.sh === sh) this.sh = undefined;
      if (this.sealedBin && !this.answered) this.broken = true;
      for (const done of this.pending.values()) done(127);
      this.pending.clear();
    });
    (sh.stdin as { unref?(): void } | null)?.unref?.();
    (sh.stdout as { unref?(): void } | null)?.unref?.();
    return { sh, dir: this.dir };
  }

  private onData(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const [id, code] = this.buf.slice(0, i).split(' ');
      this.buf = this.buf.slice(i + 1);
      const done = this.pending.get(Number(id));
      if (!done) continue; // not a status line of ours (an old binary's usage text)
      this.pending.delete(Number(id));
      this.answered = true;
      done(Number(code));
    }
    // every job has answered: reap them (a non-interactive shell keeps finished jobs until `wait`; serve reaps its own)
    if (this.pending.size === 0 && !this.sealedBin) this.sh?.stdin?.write('wait\n');
    this.refState();
  }

  /** Keep the process alive while commands are in flight, not after. */
  private refState(): void {
    const out = this.sh?.stdout as { ref?(): void; unref?(): void } | null | undefined;
    if (this.pending.size > 0) out?.ref?.();
    else out?.unref?.();
  }

  /** Start the shell now, ahead of its first command. */
  warm(): void {
    this.shell();
  }

  async run(bin: string, args: readonly string[], input?: string): Promise<SpawnerResult> {
    const { sh, dir } = this.shell();
    const id = this.next++;
    const f = (x: string): string => join(dir, `${id}.${x}`);
    if (input !== undefined) writeFileSync(f('in'), input);
    const code = await new Promise<number>((resolve) => {
      this.pending.set(id, resolve);
      this.refState();
      if (this.sealedBin) {
        // a binary rebuilt since serve started runs from its path (exec'd by serve), not as the held copy
        const self = bin === this.sealedBin && this.sealedIdentity !== undefined && sameIdentity(identity(bin), this.sealedIdentity);
        const line = { id, argv: [self ? 'tsc-runtime' : bin, ...args], in: input !== undefined ? f('in') : '/dev/null', out: f('out'), err: f('err'), self };
        sh.stdin?.write(`${JSON.stringify(line)}\n`);
        return;
      }
      const cmd = [bin, ...args].map(quote).join(' ');
      sh.stdin?.write(`{ ${cmd} <${quote(input !== undefined ? f('in') : '/dev/null')} >${quote(f('out'))} 2>${quote(f('err'))}; echo "${id} $?"; } &\n`);
    });
    // tiny files in a private tmp dir: read and unlinked synchronously, which costs less than five
    // thread-pool round trips per command when twenty creates run at once
    const take = (x: string): string => {
      try {
        return readFileSync(f(x), 'utf8');
      } catch {
        return '';
      } finally {
        try {
          unlinkSync(f(x));
        } catch {
          // never written (the job failed before its redirection)
        }
      }
    };
    const stdout = take('out');
    const stderr = take('err');
    if (input !== undefined) rmSync(f('in'), { force: true });
    return { code, stdout, stderr };
  }

  close(): void {
    this.sh?.stdin?.end();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** close(), then its runner's exit (this process reaps it), or `ms` at most. */
  async closeAndWait(ms: number): Promise<void> {
    const sh = this.sh;
    const exited = sh && !sh.gone() ? new Promise<void>((r) => sh.onExit(r)) : undefined;
    this.close();
    if (!exited) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }
}

function sameIdentity(a: FileIdentity | undefined, b: FileIdentity): boolean {
  return a !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** Work dirs of processes that are gone (a SIGKILLed supervisor). */
function removeStale(): void {
  try {
    const b = spawnerWorkBase();
    for (const d of readdirSync(b)) {
      const m = /^tsc-spawn-(\d+)(?:-rt)?$/.exec(d);
      if (!m || Number(m[1]) === process.pid) continue;
      try {
        process.kill(Number(m[1]), 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(b, d), { recursive: true, force: true });
      }
    }
  } catch {
    // tmpdir unreadable: nothing to tidy
  }
}

let shared: Spawner | undefined;
const sealedShells = new Map<string, Spawner>();
const sealedBroken = new Set<string>();

/** Whether tools go through the shell (TSCOMPOSE_SPAWNER=0 turns it off). */
export function spawnerEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return env.TSCOMPOSE_SPAWNER !== '0';
}

/**
 * Run a tool to completion through a shared shell: never throws for a non-zero status.
 * `sealedRuntime`: bin is tsc-runtime; it runs from a shell that holds one sealed copy of it (see Spawner).
 */
export async function spawnViaShell(bin: string, args: readonly string[], input?: string, opts: { sealedRuntime?: boolean } = {}): Promise<SpawnerResult> {
  if (opts.sealedRuntime && !sealedBroken.has(bin)) {
    const s = sealedShell(bin);
    const r = await s.run(bin, args, input);
    if (!s.broken) return r;
    // that binary has no `serve` (an older build): the command never ran; plain shell from now on
    sealedBroken.add(bin);
    sealedShells.delete(bin);
    s.close();
  }
  shared ??= new Spawner();
  return shared.run(bin, args, input);
}

function sealedShell(bin: string): Spawner {
  let s = sealedShells.get(bin);
  if (!s) {
    s = new Spawner(bin);
    sealedShells.set(bin, s);
  }
  return s;
}

/**
 * Start the sealed shell of tsc-runtime `bin` now (a supervisor at start-up), so that the first create
 * does not wait for it: that shell's start (exec of tsc-runtime, its sealed copy, /bin/sh) was on the
 * path of every `up`. Idle, it keeps nothing alive and exits with this process.
 */
export function warmSealedShell(bin: string, env: Record<string, string | undefined> = process.env): void {
  // a missing binary would leave a shell that never ran (runTool runs such a path as a plain child instead)
  if (!spawnerEnabled(env) || sealedBroken.has(bin) || !existsSync(bin)) return;
  try {
    sealedShell(bin).warm();
  } catch {
    // spawn failed synchronously (cannot happen for a missing file: that is an 'error' event); the first run retries
  }
}

/**
 * Stop the shared shells and wait for them to exit (the supervisor's exit): reaped by this process, not
 * left to init as zombies that outlive a `down` for a moment (a second, on these hosts).
 */
export async function closeSpawner(ms = 1000): Promise<void> {
  const all = [...(shared ? [shared] : []), ...sealedShells.values()];
  shared = undefined;
  sealedShells.clear();
  await Promise.all(all.map((s) => s.closeAndWait(ms)));
}
