/**
 * The volume store on disk: `<root>/volumes/<name>/_data` (the data) and `<root>/volumes/<name>/volume.json`
 * (name, labels, options, creation time).
 *
 * Crash safety: a volume is built under a temporary name (`.tmp-...`, never a valid volume name), with
 * its metadata fsynced, and renamed into place, so a volume either exists whole or not at all; when two
 * processes create the same volume at once, the first rename wins and the other uses it. Removal
 * renames the volume away (`.rm-...`) before deleting, so a crash mid-delete never leaves a half volume
 * that looks real; leftovers of either kind are swept by `sweep()`.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TscError, errnoCode } from '../errors.js';
import type { VolumeInfo } from './api.js';

export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface VolumeRecord {
  name: string;
  driver: 'local';
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

/** Docker's message for an invalid name; undefined when valid. */
export function volumeNameProblem(name: string): string | undefined {
  if (VOLUME_NAME_RE.test(name) && name.length <= 255) return undefined;
  return `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function parseRecord(v: unknown, name: string): VolumeRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  // the directory's name is the volume's name (a rename may not have rewritten the file yet)
  if (typeof o.createdAt !== 'string' || !isStringMap(o.labels) || !isStringMap(o.options)) return undefined;
  return { name, driver: 'local', createdAt: o.createdAt, labels: o.labels, options: o.options };
}

async function writeSynced(path: string, data: string): Promise<void> {
  const fh = await fsp.open(path, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // fsync on a directory is refused by some filesystems; the rename is still atomic
  }
}

export class VolumeStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'volumes');
  }

  volumeDir(name: string): string {
    return join(this.dir, name);
  }

  dataPath(name: string): string {
    return join(this.dir, name, '_data');
  }

  info(r: VolumeRecord): VolumeInfo {
    return { Name: r.name, Driver: 'local', Mountpoint: this.dataPath(r.name), Labels: { ...r.labels }, Options: { ...r.options }, Scope: 'local', CreatedAt: r.createdAt };
  }

  async get(name: string): Promise<VolumeRecord | undefined> {
    if (volumeNameProblem(name) !== undefined) return undefined;
    let text: string;
    try {
      text = await fsp.readFile(join(this.volumeDir(name), 'volume.json'), 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
      throw new TscError('STATE', `cannot read volume "${name}": ${(e as Error).message}`, { cause: e });
    }
    try {
      const r = parseRecord(JSON.parse(text) as unknown, name);
      if (r) return r;
    } catch {
      // fall through
    }
    throw new TscError('STATE', `volume "${name}" has unreadable metadata (${join(this.volumeDir(name), 'volume.json')})`);
  }

  /** Create the volume unless it exists; returns the record and whether this call created it. */
  async create(name: string, labels: Record<string, string>, options: Record<string, string> = {}): Promise<{ record: VolumeRecord; created: boolean }> {
    const problem = volumeNameProblem(name);
    if (problem) throw new TscError('USAGE', `create ${name}: ${problem}`);
    const existing = await this.get(name);
    if (existing) return { record: existing, created: false };
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o701 });
    const tmp = join(this.dir, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const record: VolumeRecord = { name, driver: 'local', createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels: { ...labels }, options: { ...options } };
    try {
      await fsp.mkdir(tmp, { mode: 0o701 });
      await fsp.mkdir(join(tmp, '_data'), { mode: 0o755 });
      await fsp.chmod(join(tmp, '_data'), 0o755); // not subject to the umask, as Docker's
      await writeSynced(join(tmp, 'volume.json'), `${JSON.stringify(record, null, 2)}\n`);
      await syncDir(tmp);
      await fsp.rename(tmp, this.volumeDir(name));
      await syncDir(this.dir);
      return { record, created: true };
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      const code = errnoCode(e);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        const winner = await this.get(name);
        if (winner) return { record: winner, created: false };
      }
      throw new TscError('STATE', `cannot create volume "${name}": ${(e as Error).message}`, { cause: e });
    }
  }

  async list(): Promise<VolumeRecord[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw new TscError('STATE', `cannot list volumes: ${(e as Error).message}`, { cause: e });
    }
    const out: VolumeRecord[] = [];
    for (const n of names.sort()) {
      if (volumeNameProblem(n) !== undefined) continue;
      try {
        const r = await this.get(n);
        if (r) out.push(r);
      } catch {
        // an unreadable volume is skipped in listings; `inspect` reports it
      }
    }
    return out;
  }

  /** Delete a volume and its data; false when it did not exist. */
  async remove(name: string): Promise<boolean> {
    if (volumeNameProblem(name) !== undefined) return false;
    const doomed = join(this.dir, `.rm-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fsp.rename(this.volumeDir(name), doomed);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw new TscError('STATE', `cannot remove volume "${name}": ${(e as Error).message}`, { cause: e });
    }
    await syncDir(this.dir);
    await fsp.rm(doomed, { recursive: true, force: true });
    return true;
  }

  /**
   * Give a volume a new name (atomic directory rename, then its metadata rewritten). Used to detach
   * anonymous volumes from the slot whose stable name they carried.
   */
  async rename(from: string, to: string, labels: Record<string, string>): Promise<void> {
    const problem = volumeNameProblem(to);
    if (problem) throw new TscError('USAGE', `rename ${from}: ${problem}`);
    const r = await this.get(from);
    if (!r) throw new TscError('NOT_FOUND', `no such volume: ${from}`);
    await fsp.rename(this.volumeDir(from), this.volumeDir(to));
    await syncDir(this.dir);
    const tmp = join(this.volumeDir(to), `.volume.json.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    await writeSynced(tmp, `${JSON.stringify({ ...r, name: to, labels }, null, 2)}\n`);
    await fsp.rename(tmp, join(this.volumeDir(to), 'volume.json'));
    await syncDir(this.volumeDir(to));
  }

  /** Bytes of regular files in the volume's data (symlinks not followed), as `prune` reports. */
  async size(name: string): Promise<number> {
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) total += (await fsp.lstat(p).catch(() => ({ size: 0 }))).size;
      }
    };
    await walk(this.dataPath(name));
    return total;
  }

  /** Remove leftovers of interrupted creates/removes (older than `minAgeMs`, so a create in progress is kept). */
  async sweep(minAgeMs = 60_000): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!n.startsWith('.tmp-') && !n.startsWith('.rm-')) continue;
      const p = join(this.dir, n);
      try {
        const st = await fsp.lstat(p);
        if (n.startsWith('.rm-') || Date.now() - st.mtimeMs > minAgeMs) await fsp.rm(p, { recursive: true, force: true });
      } catch {
        // raced with another sweeper
      }
    }
  }
}
