/**
 * Everything `create` does before the native runtime runs: resolve the user from the image, build the
 * OCI config (pure), then lay out the container directory (0700, CVE-2021-41091) with the bundle, the
 * writable layer dirs, /etc files and container.json. A failure leaves no directory behind.
 */
import { promises as fsp, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { errnoCode, TscError } from '../errors.js';
import type { ContainerCreateRequest } from './api.js';
import { capabilitiesFromMask } from './capabilities.js';
import { containerPaths, writeRecord, type ContainerRecord } from './container-store.js';
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

async function hostResolvConf(): Promise<string> {
  try {
    return await fsp.readFile('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export interface Prepared {
  paths: ContainerPaths;
  config: OciSpec;
  record: ContainerRecord;
}

export async function prepareContainer(root: string, req: ContainerCreateRequest, opts: { volatileRootfs?: boolean } = {}): Promise<Prepared> {
  const spec = req.spec;
  const user = await resolveImageUser(req.image.layerDirs, spec.user ?? req.image.config.user, spec.groupAdd);
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

  await fsp.mkdir(join(root, 'containers'), { recursive: true, mode: 0o700 });
  try {
    await fsp.mkdir(paths.dir, { mode: 0o700 });
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') throw new TscError('CONFLICT', `container id "${req.id}" is already in use`);
    throw new TscError('STATE', `cannot create ${paths.dir}: ${String(e)}`, { cause: e });
  }
  try {
    await Promise.all([fsp.mkdir(paths.rootfs, { recursive: true, mode: 0o700 }), fsp.mkdir(paths.upper, { mode: 0o755 }), fsp.mkdir(paths.work, { mode: 0o700 })]);
    const hostname = config.hostname;
    const resolv = req.resolvConf ?? resolvConfFor(spec, await hostResolvConf(), req.netns === 'host');
    await Promise.all([
      fsp.writeFile(paths.hosts, req.hostsFile !== undefined ? hostsWithHostname(req.hostsFile, hostname) : defaultHostsFile(hostname, spec.extraHosts), { mode: 0o644 }),
      fsp.writeFile(paths.hostname, `${hostname}\n`, { mode: 0o644 }),
      fsp.writeFile(paths.resolvConf, resolv, { mode: 0o644 }),
      // no fsync: config.json only matters to the create that follows; the record below is the durable part
      fsp.writeFile(join(paths.bundle, 'config.json'), `${JSON.stringify(config)}\n`, { mode: 0o600 }),
    ]);
    await writeRecord(root, record);
  } catch (e) {
    await fsp.rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  return { paths, config, record };
}
