/**
 * posix_spawn(3) of a long-lived helper with its stdin and stdout (and stderr) on socket pairs, through koffi.
 *
 * Why: Node's child_process forks the whole Node process (a full fork: page tables copied, then torn down by
 * the exec) and blocks the event loop until the child has exec'd. On the paravirtualised VMs we run on that
 * is 13-27 ms of main-thread time per spawn, measured; glibc's posix_spawn (clone with CLONE_VM|CLONE_VFORK:
 * nothing copied, the child runs on its own stack until exec) took 4-8 ms for the same helper. A supervisor
 * spawns its helpers on the way to its first `up`.
 *
 * What the child gets, as from child_process.spawn: every signal at its default disposition and none
 * blocked (Node ignores SIGPIPE; an ignored signal would be inherited across exec, down to containers), the
 * working directory asked for, stdin and stdout on socket pairs as libuv makes them, stderr /dev/null or a
 * third pair, no other descriptor (Node's
 * and ours are close-on-exec), this process's environment. The child is not tracked by libuv: its exit
 * shows as EOF on its stdout, and `reap` collects its status (no zombie left).
 */
import { closeSync } from 'node:fs';
import { koffiLibc } from './koffi-libc.js';

interface Libc {
  posixSpawn: (pid: [number], path: string, fa: Buffer, attr: Buffer, argv: (string | null)[], envp: (string | null)[]) => number;
  faInit: (fa: Buffer) => number;
  faDestroy: (fa: Buffer) => number;
  faDup2: (fa: Buffer, fd: number, to: number) => number;
  faOpen: (fa: Buffer, fd: number, path: string, flags: number, mode: number) => number;
  faChdir: (fa: Buffer, path: string) => number;
  attrInit: (a: Buffer) => number;
  attrDestroy: (a: Buffer) => number;
  attrFlags: (a: Buffer, flags: number) => number;
  attrSigDefault: (a: Buffer, set: Buffer) => number;
  attrSigMask: (a: Buffer, set: Buffer) => number;
  sigfillset: (s: Buffer) => number;
  sigemptyset: (s: Buffer) => number;
  socketpair: (domain: number, type: number, protocol: number, fds: [number, number]) => number;
  waitpid: (pid: number, status: [number], options: number) => number;
  errno: () => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const { koffi, lib } = koffiLibc();
  libc = {
    posixSpawn: lib.func('int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)') as Libc['posixSpawn'],
    faInit: lib.func('int posix_spawn_file_actions_init(void *fa)') as Libc['faInit'],
    faDestroy: lib.func('int posix_spawn_file_actions_destroy(void *fa)') as Libc['faDestroy'],
    faDup2: lib.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)') as Libc['faDup2'],
    faOpen: lib.func('int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int flags, unsigned int mode)') as Libc['faOpen'],
    faChdir: lib.func('int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)') as Libc['faChdir'],
    attrInit: lib.func('int posix_spawnattr_init(void *attr)') as Libc['attrInit'],
    attrDestroy: lib.func('int posix_spawnattr_destroy(void *attr)') as Libc['attrDestroy'],
    attrFlags: lib.func('int posix_spawnattr_setflags(void *attr, short flags)') as Libc['attrFlags'],
    attrSigDefault: lib.func('int posix_spawnattr_setsigdefault(void *attr, void *set)') as Libc['attrSigDefault'],
    attrSigMask: lib.func('int posix_spawnattr_setsigmask(void *attr, void *set)') as Libc['attrSigMask'],
    sigfillset: lib.func('int sigfillset(void *set)') as Libc['sigfillset'],
    sigemptyset: lib.func('int sigemptyset(void *set)') as Libc['sigemptyset'],
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)') as Libc['socketpair'],
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)') as Libc['waitpid'],
    errno: () => koffi.errno(),
  };
  return libc;
}

const AF_UNIX = 1;
const SOCK_STREAM_CLOEXEC = 1 | 0o2000000;
const O_WRONLY = 1;
const WNOHANG = 1;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
/** glibc's posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336, sigset_t 128: room to spare. */
const OPAQUE = 1024;

export interface SpawnedHelper {
  pid: number;
  /** Our ends: write to the child's stdin, read its stdout (and stderr if asked; raw, close-on-exec). */
  stdinFd: number;
  stdoutFd: number;
  stderrFd?: number;
}

/**
 * Start `path args` with stdin and stdout on socket pairs (see the module comment). Throws when koffi or the call
 * fails; the caller then spawns as before.
 */
export function spawnPiped(path: string, args: readonly string[], opts: { cwd?: string; stderr?: 'null' | 'pipe' } = {}): SpawnedHelper {
  const l = load();
  const fa = Buffer.alloc(OPAQUE);
  const attr = Buffer.alloc(OPAQUE);
  const all = Buffer.alloc(OPAQUE);
  const none = Buffer.alloc(OPAQUE);
  const inp: [number, number] = [-1, -1];
  const out: [number, number] = [-1, -1];
  const err: [number, number] = [-1, -1];
  if (l.faInit(fa) !== 0 || l.attrInit(attr) !== 0) throw new Error('posix_spawn: init failed');
  try {
    // socket pairs, as libuv makes a child's stdio: ending our side (shutdown) is EOF for the child
    const pair = (fds: [number, number]): void => {
      if (l.socketpair(AF_UNIX, SOCK_STREAM_CLOEXEC, 0, fds) !== 0) throw new Error(`socketpair: errno ${l.errno()}`);
    };
    pair(inp);
    pair(out);
    if (opts.stderr === 'pipe') pair(err);
    l.sigfillset(all);
    l.sigemptyset(none);
    const steps = [
      l.attrSigDefault(attr, all),
      l.attrSigMask(attr, none),
      l.attrFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
      l.faDup2(fa, inp[0], 0), // dup2 clears close-on-exec on the copy
      l.faDup2(fa, out[1], 1),
      opts.stderr === 'pipe' ? l.faDup2(fa, err[1], 2) : l.faOpen(fa, 2, '/dev/null', O_WRONLY, 0),
      opts.cwd !== undefined ? l.faChdir(fa, opts.cwd) : 0,
    ];
    if (steps.some((r) => r !== 0)) throw new Error('posix_spawn: setup failed');
    const env = Object.entries(process.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const pid: [number] = [0];
    const r = l.posixSpawn(pid, path, fa, attr, [path, ...args, null], [...env, null]);
    if (r !== 0) throw Object.assign(new Error(`posix_spawn ${path}: errno ${r}`), { errno: r });
    return { pid: pid[0], stdinFd: inp[1], stdoutFd: out[0], ...(err[0] >= 0 ? { stderrFd: err[0] } : {}) };
  } catch (e) {
    for (const fd of [inp[1], out[0], err[0]]) if (fd >= 0) closeQuietly(fd);
    throw e;
  } finally {
    // the child's ends are the child's alone now
    for (const fd of [inp[0], out[1], err[1]]) if (fd >= 0) closeQuietly(fd);
    l.faDestroy(fa);
    l.attrDestroy(attr);
  }
}

/** Collect the exit status of a child spawned here once it has exited (non-blocking); false while it runs. */
export function reap(pid: number): boolean {
  return reapStatus(pid) !== undefined;
}

/**
 * As `reap`, with how it ended: `code` (exited) or `signal` (killed; its number); both null when it was
 * collected already (or is not our child). Undefined while it runs.
 */
export function reapStatus(pid: number): { code: number | null; signal: number | null } | undefined {
  const st: [number] = [0];
  const r = load().waitpid(pid, st, WNOHANG);
  if (r === 0) return undefined;
  if (r < 0) return { code: null, signal: null };
  const s = st[0];
  return (s & 0x7f) === 0 ? { code: (s >> 8) & 0xff, signal: null } : { code: null, signal: s & 0x7f };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
