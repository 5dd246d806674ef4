/**
 * Everything `create` does before the native runtime runs: resolve the user from the image, build the
 * OCI config (pure), then lay out the container directory (0700, CVE-2021-41091) with the bundle, the
 * writable layer dirs, /etc files and container.json. A failure leaves no directory behind.
 */
import { mkdirSync, promises as fsp, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { errnoCode, TscError } from '../errors.js';
import type { ContainerCreateRequest } from './api.js';
import { capabilitiesFromMask } from './capabilities.js';
import { containerPaths, writeNewRecord, type ContainerRecord } from './container-store.js';
import { defaultHostsFile, hostsWithHostname, resolvConfFor } from './etc-files.js';
import { readImageFile } from './layer-files.js';
import { buildOciConfig, cgroupsPathFor, type ContainerPaths } from './oci-config.js';
import type { OciSpec } from './oci-types.js';
import { canonicalSignal } from './signals.js';
import { resolveUser, type ResolvedUser } from './user.js';

/** major/minor of a device node (blkio throttling), from st_rdev. */
export function deviceNumbers(path: string): { major: number; minor: number } | undefined {
  try {
    const st = statSync(path, { bigint: true });
    if (!st.isBlockDevice() && !st.isCharacterDevice()) return undefined;
    const d = st.rdev;
    const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
    const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
    return { major, minor };
  } catch {
    return undefined;
  }
}

let hostCaps: string[] | undefined;

/** The bounding set of this process (/proc/self/status CapBnd): what a privileged container can get. */
export function hostCapabilities(): string[] | undefined {
  if (hostCaps) return hostCaps;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m?.[1]) hostCaps = capabilitiesFromMask(m[1]);
  } catch {
    // not Linux /proc: assume every capability
  }
  return hostCaps;
}

/** Resolve USER[:GROUP] (+ group_add) against the image's /etc/passwd and /etc/group. */
export async function resolveImageUser(layerDirs: readonly string[], user: string | undefined, groupAdd: readonly string[]): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([readImageFile(layerDirs, '/etc/passwd'), readImageFile(layerDirs, '/etc/group')]);
  return resolveUser(user, groupAdd, passwd, group);
}

type EtcFiles = Promise<[string | undefined, string | undefined]>;
const imageEtc = new Map<string, EtcFiles>();
const IMAGE_ETC_MAX = 64;

/**
 * /etc/passwd and /etc/group of an image, read once per image and set of layers: image layers never
 * change once unpacked (a layer dir is named by its digest), and every replica of a service asks again.
 * Never for a container's own writable layer (exec), which does change.
 */
function imageEtcFiles(imageId: string, layerDirs: readonly string[]): EtcFiles {
  const key = `${imageId}\0${layerDirs.join('\0')}`;
  let p = imageEtc.get(key);
  if (!p) {
    p = Promise.all([readImageFile(layerDirs, '/etc/passwd'), readImageFile(layerDirs, '/etc/group')]);
    // a failed read is not remembered
    p.catch(() => imageEtc.delete(key));
    if (imageEtc.size >= IMAGE_ETC_MAX) imageEtc.delete(imageEtc.keys().next().value as string);
    imageEtc.set(key, p);
  }
  return p;
}

async function hostResolvConf(): Promise<string> {
  try {
    return await fsp.readFile('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** `<root>/containers` made by this process already: one mkdir per root, not one per container. */
const containerRoots = new Set<string>();

function makeContainerDir(root: string, dir: string): void {
  const parent = join(root, 'containers');
  if (!containerRoots.has(parent)) {
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    containerRoots.add(parent);
  }
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') throw new TscError('CONFLICT', `container id "${dir.slice(parent.length + 1)}" is already in use`);
    // <root>/containers removed behind our back (a test's cleanup, a wiped root): make it again
    if (errnoCode(e) === 'ENOENT' && containerRoots.delete(parent)) return makeContainerDir(root, dir);
    throw new TscError('STATE', `cannot create ${dir}: ${String(e)}`, { cause: e });
  }
}

/** The predecessor's log becomes this container's (the shim appends); a log that cannot be moved is not a failure. */
function carryLog(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // gone or on another filesystem: the container starts a fresh log
  }
}

export interface Prepared {
  paths: ContainerPaths;
  config: OciSpec;
  record: ContainerRecord;
}

export async function prepareContainer(root: string, req: ContainerCreateRequest, opts: { volatileRootfs?: boolean } = {}): Promise<Prepared & { durable: Promise<void> }> {
  const spec = req.spec;
  const [passwd, group] = await imageEtcFiles(req.image.id, req.image.layerDirs);
  const user = resolveUser(spec.user ?? req.image.config.user, spec.groupAdd, passwd, group);
  const paths = containerPaths(root, req.id);
  const caps = hostCapabilities();
  const config = buildOciConfig(req, { paths, user, cpuCount: availableParallelism(), deviceNumbers, ...(caps ? { hostCapabilities: caps } : {}), ...(opts.volatileRootfs ? { volatileRootfs: true } : {}) });
  const stop = spec.stopSignal ?? req.image.config.stopSignal;
  const record: ContainerRecord = {
    version: 1,
    id: req.id,
    name: req.name,
    project: req.project,
    service: req.service,
    number: req.number,
    labels: { ...req.labels },
    createdAt: new Date().toISOString(),
    imageId: req.image.id,
    layerDirs: [...req.image.layerDirs],
    stopGracePeriodMs: spec.stopGracePeriodMs,
    cgroupsPath: cgroupsPathFor(req.project, req.id),
    env: config.process.env,
    cwd: config.process.cwd,
    uid: user.uid,
    gid: user.gid,
  };
  if (stop !== undefined) record.stopSignal = canonicalSignal(stop);
  const hostname = config.hostname;
  const resolv = req.resolvConf ?? resolvConfFor(spec, await hostResolvConf(), req.netns === 'host');

  // A handful of small files in a fresh directory: synchronous calls cost less CPU and latency than a
  // thread-pool round trip each (20 parallel creates would queue ~20 of them apiece).
  makeContainerDir(root, paths.dir);
  try {
    mkdirSync(paths.bundle, { mode: 0o700 });
    mkdirSync(paths.rootfs, { mode: 0o700 });
    mkdirSync(paths.upper, { mode: 0o755 });
    mkdirSync(paths.work, { mode: 0o700 });
    writeFileSync(paths.hosts, req.hostsFile !== undefined ? hostsWithHostname(req.hostsFile, hostname) : defaultHostsFile(hostname, spec.extraHosts), { mode: 0o644 });
    writeFileSync(paths.hostname, `${hostname}\n`, { mode: 0o644 });
    writeFileSync(paths.resolvConf, resolv, { mode: 0o644 });
    if (req.carryLog !== undefined) carryLog(req.carryLog, paths.log);
    // no fsync: config.json only matters to the create that follows; the record below is the durable part
    writeFileSync(join(paths.bundle, 'config.json'), `${JSON.stringify(config)}\n`, { mode: 0o600 });
    const { durable } = writeNewRecord(root, record);
    return { paths, config, record, durable };
  } catch (e) {
    rmSync(paths.dir, { recursive: true, force: true });
    throw e;
  }
}
