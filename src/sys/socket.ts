/**
 * SO_REUSEPORT listening sockets (Node 20's `net` has no reusePort option). The socket is made here with
 * plain socket/setsockopt/bind/listen through koffi and handed to `net.Server.listen({fd})`, so each LB
 * worker thread gets its own accept queue on the same port and the kernel spreads connections over them.
 * These calls are thread-safe and touch no namespace: safe from any thread. Owned by area 7 (network).
 */
import koffi from 'koffi';
import { TscError } from '../errors.js';

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_REUSEPORT = 15;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;

interface Libc {
  socket: (domain: number, type: number, proto: number) => number;
  setsockopt: (fd: number, level: number, name: number, val: Buffer, len: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  listen: (fd: number, backlog: number) => number;
  close: (fd: number) => number;
}

let libc: Libc | undefined;
function lib(): Libc {
  if (libc) return libc;
  const l = koffi.load('libc.so.6');
  libc = {
    socket: l.func('int socket(int, int, int)') as Libc['socket'],
    setsockopt: l.func('int setsockopt(int, int, int, const void *, uint32_t)') as Libc['setsockopt'],
    bind: l.func('int bind(int, const void *, uint32_t)') as Libc['bind'],
    listen: l.func('int listen(int, int)') as Libc['listen'],
    close: l.func('int close(int)') as Libc['close'],
  };
  return libc;
}

function sockaddrIn(host: string, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  const parts = host.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new TscError('NETWORK', `listen address must be IPv4: "${host}"`);
  }
  parts.forEach((p, i) => b.writeUInt8(p, 4 + i));
  return b;
}

/** A non-blocking TCP listening socket with SO_REUSEPORT on host:port; returns its fd. */
export function reusePortListener(host: string, port: number, backlog = 1024): number {
  const c = lib();
  const fd = c.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new TscError('NETWORK', `socket: errno ${koffi.errno()}`);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1, 0);
  const fail = (what: string): never => {
    const e = koffi.errno();
    c.close(fd);
    const code = e === 98 ? 'CONFLICT' : 'NETWORK';
    throw new TscError(code, `${what} ${host}:${port}: ${e === 98 ? 'address already in use' : `errno ${e}`}`, { details: [`errno ${e}`] });
  };
  if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) < 0) fail('setsockopt SO_REUSEADDR');
  if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4) < 0) fail('setsockopt SO_REUSEPORT');
  c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4);
  if (c.bind(fd, sockaddrIn(host, port), 16) < 0) fail('bind');
  if (c.listen(fd, backlog) < 0) fail('listen');
  return fd;
}

export function closeFd(fd: number): void {
  lib().close(fd);
}
