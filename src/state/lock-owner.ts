/**
 * The owner written in a pid lock file (the image store's layer and refs locks, the network layer's host
 * lock). Such a file is made empty by open(O_EXCL) and gets its owner's pid a moment later: one still
 * without a pid after OWNERLESS_STALE_MS belongs to a process killed in between, and is stale like a dead
 * owner's (else every later taker would wait out its deadline and fail, for good).
 */
import { readFileSync, statSync } from 'node:fs';
import { errnoCode } from '../errors.js';

export const OWNERLESS_STALE_MS = 2_000;

/** The lock's owner pid (NaN while it has none) and whether it is an ownerless stale one; undefined once gone. */
export function readLockOwner(path: string): { pid: number; ownerlessStale: boolean } | undefined {
  try {
    const ageMs = Date.now() - statSync(path).mtimeMs;
    const n = Number(readFileSync(path, 'utf8').trim() || NaN);
    const pid = Number.isInteger(n) && n > 0 ? n : NaN;
    return { pid, ownerlessStale: Number.isNaN(pid) && ageMs > OWNERLESS_STALE_MS };
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}
