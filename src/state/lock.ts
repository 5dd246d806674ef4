/**
 * Per-project lock: a file holding {pid, startTime} of its owner, created with O_EXCL. The supervisor holds
 * it for its whole life, so only one process ever writes a project's state. A lock whose owner is gone (pid
 * dead, or reused by another process: the start time differs) is stale and taken over: it is renamed to a
 * unique name first (only one contender can win that rename), its content checked, then a fresh lock made.
 */
import { closeSync, openSync, promises as fsp, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TscError, errnoCode } from '../errors.js';
import { isAlive, parseIdentity, selfIdentity, type ProcessIdentity } from './proc.js';

export interface LockHandle {
  path: string;
  owner: ProcessIdentity;
  release(): Promise<void>;
}

export async function readLockOwner(path: string): Promise<ProcessIdentity | undefined> {
  try {
    return parseIdentity(JSON.parse(await fsp.readFile(path, 'utf8')) as unknown);
  } catch {
    return undefined;
  }
}

/** The live owner of the lock, if any. */
export async function lockHolder(path: string): Promise<ProcessIdentity | undefined> {
  const o = await readLockOwner(path);
  return o && isAlive(o) ? o : undefined;
}

/**
 * Made with blocking calls (a small file in the page cache: microseconds) and without fsync: the lock
 * means something only while its owner lives, and after a crash its owner is gone whatever the file
 * holds (an empty or torn one is stale too). `up` waits for this lock: on a busy disk the fsync and
 * four thread-pool round trips cost it tens of milliseconds.
 */
function tryCreate(path: string, me: ProcessIdentity): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  }
}

export async function acquireLock(path: string, what: string): Promise<LockHandle> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const me = selfIdentity();
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, me)) {
      return {
        path,
        owner: me,
        release: async () => {
          const o = await readLockOwner(path);
          if (o && o.pid === me.pid && o.startTime === me.startTime) await fsp.rm(path, { force: true });
        },
      };
    }
    const raw = await fsp.readFile(path, 'utf8').catch(() => undefined);
    if (raw === undefined) continue; // vanished between open and read: try again
    let owner: ProcessIdentity | undefined;
    try {
      owner = parseIdentity(JSON.parse(raw) as unknown);
    } catch {
      owner = undefined; // torn or empty: the writer died before finishing; stale
    }
    if (owner && isAlive(owner)) {
      throw new TscError('CONFLICT', `${what} is locked by process ${owner.pid}`, { details: [`lock file: ${path}`] });
    }
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fsp.rename(path, aside);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue;
      throw e;
    }
    const moved = await fsp.readFile(aside, 'utf8').catch(() => '');
    if (moved !== raw) {
      // we moved someone else's fresh lock: put it back if the place is still free
      await fsp.link(aside, path).catch(() => undefined);
    }
    await fsp.rm(aside, { force: true });
  }
  throw new TscError('CONFLICT', `${what}: could not take the lock`, { details: [`lock file: ${path}`] });
}
