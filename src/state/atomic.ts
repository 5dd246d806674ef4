/**
 * Crash-safe file writes: write a temp file in the same directory, fsync it, rename it over the target,
 * fsync the directory. A crash at any instant leaves either the old or the new content, never a mix.
 */
import { promises as fsp, openSync, writeSync, fsyncSync, closeSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await fsp.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

export function writeFileAtomicSync(path: string, data: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const d = openSync(dirname(path), 'r');
    fsyncSync(d);
    closeSync(d);
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await fsp.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  }
}

/** Read a JSON file; undefined when it does not exist. Parse errors propagate (the caller decides). */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await fsp.readFile(path, 'utf8')) as unknown;
  } catch (e) {
    if (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw e;
  }
}
