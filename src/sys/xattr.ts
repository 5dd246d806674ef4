/**
 * Extended attributes and device nodes, which Node's fs has no API for. koffi is loaded lazily on the
 * first call, so importing this module costs nothing. Used by the layer unpacker (src/image/unpack.ts):
 * overlay whiteouts are 0/0 character devices and opaque directories carry `trusted.overlay.opaque=y`.
 */
import { koffiLibc } from './koffi-libc.js';

interface Libc {
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
  mknod: (path: string, mode: number, dev: bigint) => number;
  errno: () => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const { koffi, lib } = koffiLibc();
  const lset = lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)');
  const lget = lib.func('long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)');
  const mk = lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)');
  libc = {
    lsetxattr: (p, n, v, s, f) => Number(lset(p, n, v, s, f)),
    lgetxattr: (p, n, v, s) => Number(lget(p, n, v, s)),
    mknod: (p, m, d) => Number(mk(p, m, d)),
    errno: () => koffi.errno(),
  };
  return libc;
}

const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 17: 'EEXIST', 22: 'EINVAL', 28: 'ENOSPC', 61: 'ENODATA', 95: 'ENOTSUP', 34: 'ERANGE' };

/** An Error shaped like Node's system errors (`code`, `errno`, `syscall`, `path`). */
function sysError(syscall: string, path: string, errno: number): NodeJS.ErrnoException {
  const code = ERRNO[errno] ?? `E${errno}`;
  const e: NodeJS.ErrnoException = new Error(`${code}: ${syscall} ${path}`);
  e.code = code;
  e.errno = errno;
  e.syscall = syscall;
  e.path = path;
  return e;
}

/** lsetxattr(2): never follows a symlink. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  const c = load();
  if (c.lsetxattr(path, name, value, value.length, 0) !== 0) throw sysError('lsetxattr', path, c.errno());
}

/** lgetxattr(2); undefined when the attribute is absent. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const c = load();
  const buf = Buffer.alloc(65536);
  const n = c.lgetxattr(path, name, buf, buf.length);
  if (n < 0) {
    const errno = c.errno();
    if (errno === 61) return undefined;
    throw sysError('lgetxattr', path, errno);
  }
  return buf.subarray(0, n);
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** mknod(2) with the Linux makedev() encoding of major/minor. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  const c = load();
  const dev =
    (BigInt(minor & 0xff)) |
    (BigInt(major & 0xfff) << 8n) |
    (BigInt(minor & ~0xff) << 12n) |
    (BigInt(major & ~0xfff) << 32n);
  if (c.mknod(path, mode, dev) !== 0) throw sysError('mknod', path, c.errno());
}
