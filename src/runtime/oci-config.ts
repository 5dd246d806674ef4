/**
 * Pure: ContainerCreateRequest (+ the resolved user and the container's paths) → OCI runtime-spec
 * config.json, with Docker's defaults (oci-defaults.ts) and Compose's override rules (process-spec.ts).
 * ociVersion 1.0.2: what the installed crun 1.8 and runc 1.1 accept too (checked with `runc run`).
 */
import { TscError } from '../errors.js';
import type { Resources, TmpfsMount } from '../spec/model.js';
import type { ContainerCreateRequest, ResolvedMount } from './api.js';
import { containerCapabilities } from './capabilities.js';
import { defaultMounts, deviceRules, maskedPaths, READONLY_PATHS } from './oci-defaults.js';
import type { OciMount, OciNamespace, OciResources, OciRlimit, OciSpec, OciThrottleDevice } from './oci-types.js';
import { containerSeccomp } from './seccomp-profile.js';
import { checkedSysctls } from './sysctls.js';
import { defaultHostname, noNewPrivileges, processArgs, processCwd, processEnv } from './process-spec.js';
import type { ResolvedUser } from './user.js';

export interface ContainerPaths {
  /** Container directory: <root>/containers/<id> */
  dir: string;
  bundle: string;
  rootfs: string;
  upper: string;
  work: string;
  hosts: string;
  hostname: string;
  resolvConf: string;
  log: string;
}

export interface OciConfigOptions {
  paths: ContainerPaths;
  user: ResolvedUser;
  /** Number of host CPUs (Docker masks each CPU's thermal_throttle dir). */
  cpuCount: number;
  /** major/minor of a block device path, for blkio throttling; undefined skips the entry. */
  deviceNumbers?: (path: string) => { major: number; minor: number } | undefined;
  /** A private cgroup namespace (default true). */
  cgroupNamespace?: boolean;
  /** Capabilities the engine itself holds (its bounding set); default: every capability. */
  hostCapabilities?: readonly string[];
  /** Mount the overlay `volatile` (no syncs): for throw-away containers such as `run --rm`. */
  volatileRootfs?: boolean;
}

export const ANNOTATION_LOWER = 'org.tscompose.rootfs.lower';
export const ANNOTATION_UPPER = 'org.tscompose.rootfs.upper';
export const ANNOTATION_WORK = 'org.tscompose.rootfs.work';
export const ANNOTATION_INIT = 'org.tscompose.init';
export const ANNOTATION_VOLATILE = 'org.tscompose.rootfs.volatile';

export const CPU_PERIOD_US = 100_000;

export function cgroupsPathFor(project: string, id: string): string {
  return `tscompose/${project}/${id}`;
}

export function buildOciConfig(req: ContainerCreateRequest, opts: OciConfigOptions): OciSpec {
  const spec = req.spec;
  const img = req.image.config;
  const hostname = spec.hostname ?? defaultHostname(req.id);
  const caps = containerCapabilities(spec, opts.hostCapabilities);
  const tty = req.tty ?? spec.tty;
  const annotations: Record<string, string> = {
    ...spec.annotations,
    [ANNOTATION_LOWER]: JSON.stringify(req.image.layerDirs),
    [ANNOTATION_UPPER]: opts.paths.upper,
    [ANNOTATION_WORK]: opts.paths.work,
  };
  if (spec.init) annotations[ANNOTATION_INIT] = 'true';
  if (opts.volatileRootfs) annotations[ANNOTATION_VOLATILE] = 'true';
  const out: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: tty,
      user: { uid: opts.user.uid, gid: opts.user.gid, additionalGids: opts.user.additionalGids },
      args: processArgs(spec, img, req.commandOverride),
      env: processEnv({ imageEnv: img.env, serviceEnv: spec.environment, hostname, home: opts.user.home, tty }),
      cwd: processCwd(spec.workingDir, img.workingDir),
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps], inheritable: [] },
      rlimits: rlimits(spec.ulimits),
      noNewPrivileges: noNewPrivileges(spec.securityOpt),
    },
    root: { path: opts.paths.rootfs, readonly: spec.readOnly },
    hostname,
    mounts: mounts(req, opts.paths),
    annotations,
    linux: {
      namespaces: namespaces(req.netns, opts.cgroupNamespace ?? true),
      resources: resources(spec.resources, spec.privileged, opts.deviceNumbers),
      cgroupsPath: cgroupsPathFor(req.project, req.id),
      // domainname also as the UTS-namespaced sysctl: our runtime applies sysctls, not the `domainname` field
      sysctl: { ...(spec.domainname !== undefined ? { 'kernel.domainname': spec.domainname } : {}), ...checkedSysctls(spec.sysctls, req.netns === 'host') },
      maskedPaths: spec.privileged || systemPathsUnconfined(spec.securityOpt) ? [] : maskedPaths(opts.cpuCount),
      readonlyPaths: spec.privileged || systemPathsUnconfined(spec.securityOpt) ? [] : [...READONLY_PATHS],
    },
  };
  const seccomp = containerSeccomp(spec.privileged, spec.securityOpt, caps);
  if (seccomp) out.linux.seccomp = seccomp;
  if (spec.domainname !== undefined) out.domainname = spec.domainname;
  if (spec.resources.oomScoreAdj !== undefined) out.process.oomScoreAdj = spec.resources.oomScoreAdj;
  return out;
}

/** `security_opt: [systempaths=unconfined]` (Docker): no masked or read-only /proc and /sys paths. */
function systemPathsUnconfined(securityOpt: readonly string[]): boolean {
  return securityOpt.some((o) => /^systempaths[=:]unconfined$/.test(o.trim()));
}

function namespaces(netns: string | undefined, cgroupns: boolean): OciNamespace[] {
  const ns: OciNamespace[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (netns === undefined) ns.push({ type: 'network' });
  else if (netns !== 'host') ns.push({ type: 'network', path: netns });
  if (cgroupns) ns.push({ type: 'cgroup' });
  return ns;
}

const RLIMITS = new Set(['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

function rlimits(ulimits: Record<string, { soft: number; hard: number }>): OciRlimit[] {
  return Object.entries(ulimits).map(([name, u]) => {
    const n = name.toLowerCase();
    if (!RLIMITS.has(n)) throw new TscError('SPEC_INVALID', `unknown ulimit "${name}"`);
    if (u.soft > u.hard) throw new TscError('SPEC_INVALID', `ulimit "${name}": soft limit ${u.soft} is above the hard limit ${u.hard}`);
    return { type: `RLIMIT_${n.toUpperCase()}`, soft: u.soft, hard: u.hard };
  });
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

function tmpfsOptions(base: readonly string[], extra: readonly string[], sizeBytes?: number, mode?: number): string[] {
  const opts = new Set(['noexec', 'nosuid', 'nodev', ...base]);
  for (const o of extra) {
    if (o === 'exec' || o === 'suid' || o === 'dev') opts.delete(`no${o}`);
    opts.add(o);
  }
  if (sizeBytes !== undefined) opts.add(`size=${sizeBytes}`);
  if (mode !== undefined) opts.add(`mode=${mode.toString(8).padStart(4, '0')}`);
  return [...opts];
}

function userMount(m: ResolvedMount): OciMount {
  if (m.type === 'tmpfs') {
    return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(m.readOnly ? ['ro'] : [], m.options ?? []) };
  }
  if (m.source === undefined) throw new TscError('SPEC_INVALID', `bind mount to ${m.target} has no source`);
  const given = m.options ?? [];
  const propagation = given.find((o) => /^r?(shared|slave|private)$/.test(o)) ?? 'rprivate';
  const rest = given.filter((o) => o !== propagation && o !== 'ro' && o !== 'rw' && o !== 'bind' && o !== 'rbind');
  return { destination: m.target, type: 'bind', source: m.source, options: ['rbind', propagation, m.readOnly ? 'ro' : 'rw', ...rest] };
}

function tmpfsKeyMount(t: TmpfsMount): OciMount {
  return { destination: t.target, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions([], t.options, t.sizeBytes, t.mode) };
}

function mounts(req: ContainerCreateRequest, p: ContainerPaths): OciMount[] {
  const spec = req.spec;
  const user: OciMount[] = req.mounts.map(userMount);
  const taken = new Set(user.map((m) => m.destination));
  for (const t of spec.tmpfs) {
    if (!taken.has(t.target)) {
      user.push(tmpfsKeyMount(t));
      taken.add(t.target);
    }
  }
  user.sort((a, b) => depth(a.destination) - depth(b.destination));
  const defaults = defaultMounts({ privileged: spec.privileged, shmSizeBytes: spec.shmSizeBytes }).filter((m) => !taken.has(m.destination));
  const etc: OciMount[] = [];
  const etcFile = (destination: string, source: string): void => {
    if (!taken.has(destination)) etc.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate', 'ro'] });
  };
  etcFile('/etc/hosts', p.hosts);
  etcFile('/etc/hostname', p.hostname);
  etcFile('/etc/resolv.conf', p.resolvConf);
  return [...defaults, ...etc, ...user];
}

function throttle(list: Resources['blkioDeviceReadBps'], dev: OciConfigOptions['deviceNumbers']): OciThrottleDevice[] {
  const out: OciThrottleDevice[] = [];
  for (const d of list) {
    const n = dev?.(d.path);
    if (n) out.push({ major: n.major, minor: n.minor, rate: d.rate });
  }
  return out;
}

function resources(r: Resources, privileged: boolean, dev: OciConfigOptions['deviceNumbers']): OciResources {
  const out: OciResources = { devices: deviceRules(privileged) };
  const mem: NonNullable<OciResources['memory']> = {};
  if (r.memoryBytes !== undefined) {
    mem.limit = r.memoryBytes;
    // Docker: memswap_limit unset (or 0) with a memory limit = twice the memory limit; -1 = unlimited.
    mem.swap = r.memorySwapBytes === undefined || r.memorySwapBytes === 0 ? r.memoryBytes * 2 : r.memorySwapBytes;
  } else if (r.memorySwapBytes !== undefined && r.memorySwapBytes !== 0) {
    mem.swap = r.memorySwapBytes;
  }
  if (r.memoryReservationBytes !== undefined) mem.reservation = r.memoryReservationBytes;
  if (r.memSwappiness !== undefined) mem.swappiness = r.memSwappiness;
  if (r.oomKillDisable !== undefined) mem.disableOOMKiller = r.oomKillDisable;
  if (Object.keys(mem).length > 0) out.memory = mem;

  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuShares !== undefined) cpu.shares = r.cpuShares;
  if (r.cpus !== undefined && r.cpus > 0) {
    cpu.period = r.cpuPeriod ?? CPU_PERIOD_US;
    cpu.quota = Math.round(r.cpus * cpu.period);
  }
  if (r.cpuQuota !== undefined) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod !== undefined) cpu.period = r.cpuPeriod;
  if (r.cpuset !== undefined) cpu.cpus = r.cpuset;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit };

  const bio: NonNullable<OciResources['blockIO']> = {};
  if (r.blkioWeight !== undefined) bio.weight = r.blkioWeight;
  const rb = throttle(r.blkioDeviceReadBps, dev);
  const wb = throttle(r.blkioDeviceWriteBps, dev);
  const ri = throttle(r.blkioDeviceReadIops, dev);
  const wi = throttle(r.blkioDeviceWriteIops, dev);
  if (rb.length > 0) bio.throttleReadBpsDevice = rb;
  if (wb.length > 0) bio.throttleWriteBpsDevice = wb;
  if (ri.length > 0) bio.throttleReadIOPSDevice = ri;
  if (wi.length > 0) bio.throttleWriteIOPSDevice = wi;
  if (Object.keys(bio).length > 0) out.blockIO = bio;
  return out;
}
