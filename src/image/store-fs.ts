/**
 * File-system primitives of the image store: atomic writes (temp + fsync + rename), a lock file per
 * resource (O_EXCL, pid inside, a lock whose owner is dead is taken over), private temp dirs named after
 * their owner's pid so that `prune` can remove the ones a crashed pull left behind.
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { TscError, errnoCode } from '../errors.js';
import { readLockOwner } from '../state/lock-owner.js';

export function mkdirPrivate(path: string): void {
  fs.mkdirSync(path, { recursive: true, mode: 0o700 });
  fs.chmodSync(path, 0o700);
}

export function atomicWrite(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
}

export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw new TscError('STATE', `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

/** A fresh private directory under `tmpRoot`, named `<kind>-<pid>-<random>`. */
export function makeTempDir(tmpRoot: string, kind: string): string {
  mkdirPrivate(tmpRoot);
  const dir = join(tmpRoot, `${kind}-${process.pid}-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** Temp dirs whose owning process is gone (a crash mid-pull): safe to delete. */
export function staleTempDirs(tmpRoot: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(tmpRoot);
  } catch {
    return [];
  }
  return names
    .filter((n) => {
      const pid = Number(/^[a-z]+-(\d+)-/.exec(n)?.[1]);
      return Number.isInteger(pid) && pid > 0 && !pidAlive(pid);
    })
    .map((n) => join(tmpRoot, n));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run `fn` holding the lock file `path` (waits up to `timeoutMs`; a dead owner's lock is taken over, and so
 * is one left without an owner by a process killed between making it and writing its pid).
 */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, timeoutMs = 120_000): Promise<T> {
  fs.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = fs.openSync(path, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
      const lock = readLockOwner(path);
      if (lock === undefined) continue; // released meanwhile
      const owner = lock.pid;
      if (lock.ownerlessStale || (Number.isInteger(owner) && owner !== process.pid && !pidAlive(owner))) {
        fs.rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new TscError('CONFLICT', `lock ${path} is held by pid ${owner}`);
      await sleep(15 + Math.random() * 30);
    }
  }
  try {
    return await fn();
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
  }
}

/** Throws a clear NOT_FOUND error unless `file` is a readable regular file. */
export function requireFile(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new TscError('NOT_FOUND', `cannot open ${file}: ${errnoCode(e) === 'ENOENT' ? 'no such file' : String(errnoCode(e) ?? e)}`, { cause: e });
  }
  if (!st.isFile()) throw new TscError('IMAGE', `${file} is not a regular file`);
}
