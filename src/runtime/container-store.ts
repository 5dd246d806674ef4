/**
 * The container directory `<TSCOMPOSE_ROOT>/containers/<id>/`:
 *   container.json  the record below (atomic writes)      bundle/config.json, bundle/rootfs (mount point)
 *   upper/ work/    the writable layer                    hosts, hostname, resolv.conf, container.log
 * The record holds what the runtime state does not: names, labels, how to stop and exec.
 */
import { closeSync, openSync, promises as fsp, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TscError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { ContainerPaths } from './oci-config.js';

export interface ContainerRecord {
  version: 1;
  id: string;
  name: string;
  project: string;
  service: string;
  number: number;
  labels: Record<string, string>;
  createdAt: string;
  imageId: string;
  layerDirs: string[];
  stopSignal?: string;
  stopGracePeriodMs: number;
  cgroupsPath: string;
  /** The process's env, cwd and user, defaults for exec. */
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
}

export const ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function checkId(id: string): void {
  if (!ID_RE.test(id)) throw new TscError('USAGE', `invalid container id "${id}": lower-case [a-z0-9-], at most 64 characters`);
}

export function containerPaths(root: string, id: string): ContainerPaths {
  const dir = join(root, 'containers', id);
  const bundle = join(dir, 'bundle');
  return {
    dir,
    bundle,
    rootfs: join(bundle, 'rootfs'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
    resolvConf: join(dir, 'resolv.conf'),
    log: join(dir, 'container.log'),
  };
}

/** Atomic and durable: temp file, fsync, rename over container.json, fsync of the directory. */
export async function writeRecord(root: string, rec: ContainerRecord): Promise<void> {
  await writeFileAtomic(join(containerPaths(root, rec.id).dir, 'container.json'), `${JSON.stringify(rec)}\n`);
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The record of a new container, in its fresh directory: written and renamed into place at once (a
 * supervisor killed from here on finds it), made durable (fsync of the file and the directory) by the
 * returned promise, which the caller awaits after the runtime call instead of before it. Small
 * synchronous writes: cheaper than a round of the thread pool each, which 20 parallel creates queue for.
 * A host crash before the fsync leaves at worst an unreadable record, as a crash before the write would.
 */
export function writeNewRecord(root: string, rec: ContainerRecord): { durable: Promise<void> } {
  const dir = containerPaths(root, rec.id).dir;
  const path = join(dir, 'container.json');
  const tmp = join(dir, '.container.json.tmp');
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(rec)}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const durable = Promise.all([fsyncPath(path), fsyncPath(dir).catch(() => undefined)]).then(() => undefined);
  // awaited by the caller; never an unhandled rejection if the caller failed first
  durable.catch(() => undefined);
  return { durable };
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isStrMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isStr);

/** Validate a parsed container.json; undefined when it is not one of ours. */
export function parseRecord(v: unknown): ContainerRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.version !== 1 || !isStr(o.id) || !isStr(o.name) || !isStr(o.project) || !isStr(o.service) || !isNum(o.number)) return undefined;
  if (!isStrMap(o.labels) || !isStr(o.createdAt) || !isStr(o.imageId) || !isStrArr(o.layerDirs) || !isNum(o.stopGracePeriodMs)) return undefined;
  if (!isStr(o.cgroupsPath) || !isStrArr(o.env) || !isStr(o.cwd) || !isNum(o.uid) || !isNum(o.gid)) return undefined;
  if (o.stopSignal !== undefined && !isStr(o.stopSignal)) return undefined;
  const rec: ContainerRecord = {
    version: 1,
    id: o.id,
    name: o.name,
    project: o.project,
    service: o.service,
    number: o.number,
    labels: o.labels,
    createdAt: o.createdAt,
    imageId: o.imageId,
    layerDirs: o.layerDirs,
    stopGracePeriodMs: o.stopGracePeriodMs,
    cgroupsPath: o.cgroupsPath,
    env: o.env,
    cwd: o.cwd,
    uid: o.uid,
    gid: o.gid,
  };
  if (o.stopSignal !== undefined) rec.stopSignal = o.stopSignal;
  return rec;
}

export async function readRecord(root: string, id: string): Promise<ContainerRecord | undefined> {
  if (!ID_RE.test(id)) return undefined;
  let text: string;
  try {
    // one small file: a blocking read is far cheaper than fs/promises' four thread-pool round trips
    text = readFileSync(join(containerPaths(root, id).dir, 'container.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parseRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export async function listRecords(root: string): Promise<ContainerRecord[]> {
  let names: string[];
  try {
    names = await fsp.readdir(join(root, 'containers'));
  } catch {
    return [];
  }
  const recs = await Promise.all(names.filter((n) => ID_RE.test(n)).map((n) => readRecord(root, n)));
  return recs.filter((r): r is ContainerRecord => r !== undefined);
}
