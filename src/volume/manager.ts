/**
 * VolumeManager: named, anonymous and external volumes, binds, tmpfs and volumes_from, for the
 * controller and the `volume` verbs. Planning is pure (plan.ts); this file does the I/O.
 */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { TscError, errnoCode } from '../errors.js';
import type { Volume } from '../spec/model.js';
import type { LocalImage } from '../image/api.js';
import type { ResolvedMount } from '../runtime/api.js';
import {
  LABEL_ANONYMOUS,
  LABEL_NUMBER,
  LABEL_PROJECT,
  LABEL_SERVICE,
  LABEL_VOLUME,
  type EnsuredVolume,
  type ResolveMountsRequest,
  type ResolvedMounts,
  type VolumeInfo,
  type VolumeManagerApi,
  type VolumeManagerOptions,
} from './api.js';
import { depth, planMounts, type MountIntent } from './plan.js';
import { seedFromLayers } from './seed.js';
import { VolumeStore, volumeNameProblem, type VolumeRecord } from './store.js';
import { localDriverMount } from './driver-opts.js';
import { containerMountsByName, volumeUsers } from './in-use.js';

export class VolumeManager implements VolumeManagerApi {
  readonly store: VolumeStore;
  readonly root: string;
  private readonly inUse: (name: string) => Promise<boolean>;
  /** Seeding of one volume at a time in this process (replicas created in parallel share volumes). */
  private readonly seeding = new Map<string, Promise<unknown>>();

  constructor(opts: VolumeManagerOptions = {}) {
    const root = opts.root ?? process.env.TSCOMPOSE_ROOT ?? '/var/lib/tscompose';
    this.root = root;
    this.store = new VolumeStore(root);
    this.inUse = opts.inUse ?? (async (name) => ((await this.users()).get(name) ?? []).length > 0);
  }

  async ensure(project: string, key: string, volume: Volume): Promise<EnsuredVolume> {
    if (volume.external) {
      const r = await this.store.get(volume.name);
      if (!r) throw new TscError('NOT_FOUND', `external volume "${volume.name}" not found`);
      return { name: r.name, path: this.store.dataPath(r.name), created: false, warnings: [] };
    }
    if (volume.driver !== 'local' && volume.driver !== '') {
      throw new TscError('SPEC_INVALID', `volume "${key}": driver "${volume.driver}" is not supported (only "local")`);
    }
    const problem = volumeNameProblem(volume.name);
    if (problem) throw new TscError('SPEC_INVALID', `volume "${key}": ${problem}`);
    const labels = { ...volume.labels, [LABEL_PROJECT]: project, [LABEL_VOLUME]: key };
    const { record, created } = await this.store.create(volume.name, labels, volume.driverOpts);
    const warnings: string[] = [];
    const owner = record.labels[LABEL_PROJECT];
    if (!created && owner === undefined) {
      warnings.push(`volume "${volume.name}" already exists but was not created by Docker Compose. Use \`external: true\` to use an existing volume`);
    } else if (!created && owner !== project) {
      warnings.push(`volume "${volume.name}" already exists but was created for project "${owner}" (expected "${project}"). Use \`external: true\` to use an existing volume`);
    }
    return { name: record.name, path: this.store.dataPath(record.name), created, warnings };
  }

  private async ensureAnonymous(project: string, service: string, number: number, name: string): Promise<VolumeRecord> {
    const labels = { [LABEL_ANONYMOUS]: '', [LABEL_PROJECT]: project, [LABEL_SERVICE]: service, [LABEL_NUMBER]: String(number) };
    return (await this.store.create(name, labels)).record;
  }

  async resolveMounts(req: ResolveMountsRequest): Promise<ResolvedMounts> {
    const { project, service, number, image } = req;
    const intents = planMounts(project, service, number, image.config.volumes);
    const mounts: ResolvedMount[] = [];
    const volumes: string[] = [];
    const warnings: string[] = [];
    const fromContainers: ResolvedMount[] = [];
    for (const m of intents) {
      if (m.kind === 'from-container') {
        fromContainers.push(...(await this.containerMounts(req, m)));
        continue;
      }
      const r = await this.resolveOne(req, m, warnings);
      if (m.kind === 'volume') volumes.push(m.name);
      mounts.push(r);
    }
    const taken = new Set(mounts.map((m) => m.target));
    for (const m of fromContainers) {
      if (taken.has(m.target)) continue;
      taken.add(m.target);
      mounts.push(m);
    }
    const sorted = mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i).map((x) => x.m);
    return { mounts: sorted, volumes: [...new Set(volumes)], warnings };
  }

  private async containerMounts(req: ResolveMountsRequest, m: Extract<MountIntent, { kind: 'from-container' }>): Promise<ResolvedMount[]> {
    const got = req.containerMounts ? await req.containerMounts(m.container) : await containerMountsByName(this.root, m.container);
    if (!got) throw new TscError('NOT_FOUND', `service "${req.service.name}": volumes_from: no such container: ${m.container}`);
    return got.filter((x) => x.type === 'bind').map((x) => (m.mode ? { ...x, readOnly: m.mode === 'ro' } : { ...x }));
  }

  private async resolveOne(req: ResolveMountsRequest, m: Exclude<MountIntent, { kind: 'from-container' }>, warnings: string[]): Promise<ResolvedMount> {
    if (m.kind === 'tmpfs') return { type: 'tmpfs', target: m.target, readOnly: m.readOnly, options: m.options };
    if (m.kind === 'bind') {
      await this.ensureBindSource(req.service.name, m.source, m.createHostPath);
      return { type: 'bind', source: m.source, target: m.target, readOnly: m.readOnly, ...(m.propagation ? { options: [m.propagation] } : {}) };
    }
    let record: VolumeRecord;
    if (m.key !== undefined) {
      const vol = req.project.volumes[m.key] as Volume;
      const ensured = await this.ensure(req.project.name, m.key, vol);
      warnings.push(...ensured.warnings);
      record = (await this.store.get(ensured.name)) as VolumeRecord;
    } else {
      record = await this.ensureAnonymous(req.project.name, req.service.name, req.number, m.name);
    }
    const special = localDriverMount(record, m.target, m.readOnly);
    if (special) return special;
    const data = this.store.dataPath(record.name);
    if (m.subpath !== undefined) {
      return { type: 'bind', source: await subpathSource(data, m.subpath, record.name), target: m.target, readOnly: m.readOnly };
    }
    if (!m.nocopy) await this.seedNamed(record.name, data, req.image, m.target);
    return { type: 'bind', source: data, target: m.target, readOnly: m.readOnly };
  }

  private async ensureBindSource(service: string, source: string, create: boolean): Promise<void> {
    if (!isAbsolute(source)) throw new TscError('SPEC_INVALID', `service "${service}": bind source "${source}" is not an absolute path`);
    try {
      await fsp.stat(source);
      return;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw new TscError('RUNTIME', `service "${service}": bind source ${source}: ${(e as Error).message}`, { cause: e });
    }
    if (!create) {
      throw new TscError('NOT_FOUND', `service "${service}": invalid mount config for type "bind": bind source path does not exist: ${source}`);
    }
    try {
      await fsp.mkdir(source, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new TscError('RUNTIME', `service "${service}": cannot create bind source ${source}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Seed a volume for a container about to be created, one seeding per volume at a time. A volume that
   * other containers already mount is never written to (a running container could swap a directory we
   * are filling for a symlink to a host path); it only matters when such a volume is still empty.
   */
  private async seedNamed(name: string, data: string, image: LocalImage, target: string): Promise<boolean> {
    const prev = this.seeding.get(data) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (!(await isEmptyDir(data))) return false;
      if (await this.inUse(name)) return false;
      return this.seedIfEmpty(data, image, target);
    });
    const settled = next.catch(() => undefined);
    this.seeding.set(data, settled);
    void settled.then(() => {
      if (this.seeding.get(data) === settled) this.seeding.delete(data);
    });
    return next;
  }

  async seedIfEmpty(volumePath: string, image: LocalImage, containerPath: string): Promise<boolean> {
    try {
      return await seedFromLayers(volumePath, image.layerDirs, containerPath);
    } catch (e) {
      throw new TscError('STATE', `cannot copy the image's ${containerPath} into volume ${volumePath}: ${(e as Error).message}`, { cause: e });
    }
  }

  async create(name: string, opts: { labels?: Record<string, string> } = {}): Promise<VolumeInfo> {
    return this.store.info((await this.store.create(name, opts.labels ?? {})).record);
  }

  async inspect(name: string): Promise<VolumeInfo | undefined> {
    const r = await this.store.get(name);
    return r ? this.store.info(r) : undefined;
  }

  async list(filter: { project?: string } = {}): Promise<VolumeInfo[]> {
    const all = await this.store.list();
    return all.filter((r) => filter.project === undefined || r.labels[LABEL_PROJECT] === filter.project).map((r) => this.store.info(r));
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const r = await this.store.get(name);
    if (!r) {
      if (opts.force) return;
      throw new TscError('NOT_FOUND', `no such volume: ${name}`);
    }
    if (await this.inUse(name)) throw new TscError('CONFLICT', `remove ${name}: volume is in use`);
    await this.store.remove(name);
  }

  /**
   * `down` without `-v`: the project's anonymous volumes stay on disk (dangling, for `volume prune`) but
   * are detached from their slot, so the next `up` gets fresh ones, as Compose (whose new containers do
   * not inherit a removed container's anonymous volumes). Volumes still mounted by a container are kept
   * attached. Call after the project's containers are removed. Returns the new names.
   */
  async releaseAnonymousVolumes(project: string): Promise<string[]> {
    const used = await this.usedVolumes();
    return this.detachAnonymous((r) => r.labels[LABEL_PROJECT] === project && !used.has(r.name));
  }

  /**
   * `up -V`: the anonymous volumes of `services` leave their slots even while a container still mounts them
   * (it is about to be recreated and keeps its mount meanwhile; the volume stays on disk, dangling, as Docker's).
   */
  async renewAnonymousVolumes(project: string, services: readonly string[]): Promise<string[]> {
    return this.detachAnonymous((r) => r.labels[LABEL_PROJECT] === project && services.includes(r.labels[LABEL_SERVICE] ?? ''));
  }

  /** Rename matching anonymous volumes to fresh random names, without their slot labels. */
  private async detachAnonymous(match: (r: { name: string; labels: Record<string, string> }) => boolean): Promise<string[]> {
    const out: string[] = [];
    for (const r of await this.store.list()) {
      if (!(LABEL_ANONYMOUS in r.labels) || !match(r)) continue;
      const fresh = randomBytes(32).toString('hex');
      const { [LABEL_SERVICE]: _s, [LABEL_NUMBER]: _n, ...labels } = r.labels;
      await this.store.rename(r.name, fresh, labels);
      out.push(fresh);
    }
    return out;
  }

  /** Names of volumes some container mounts (running or stopped). */
  async usedVolumes(): Promise<Set<string>> {
    return new Set((await this.users()).keys());
  }

  /** Volume name → containers mounting it, driver_opts bind volumes (mounted from their device path) included. */
  private async users(): Promise<Map<string, string[]>> {
    const devices = new Map<string, string>();
    for (const r of await this.store.list()) {
      const { device, o } = r.options;
      if (device !== undefined && (o ?? '').split(',').some((x) => x.trim() === 'bind' || x.trim() === 'rbind')) devices.set(device, r.name);
    }
    return volumeUsers(this.root, devices);
  }

  /** `volume prune`: remove unused anonymous volumes, or every unused volume with `all`. */
  async prune(opts: { all?: boolean } = {}): Promise<{ removed: string[]; reclaimedBytes: number }> {
    const used = await this.usedVolumes();
    const removed: string[] = [];
    let reclaimedBytes = 0;
    for (const r of await this.store.list()) {
      if (used.has(r.name)) continue;
      if (!opts.all && !(LABEL_ANONYMOUS in r.labels)) continue;
      const size = await this.store.size(r.name);
      if (await this.store.remove(r.name)) {
        removed.push(r.name);
        reclaimedBytes += size;
      }
    }
    await this.store.sweep();
    return { removed, reclaimedBytes };
  }

  async removeProjectVolumes(project: string, opts: { keep?: string[] } = {}): Promise<string[]> {
    const keep = new Set(opts.keep ?? []);
    const removed: string[] = [];
    for (const r of await this.store.list()) {
      if (r.labels[LABEL_PROJECT] !== project || keep.has(r.name)) continue;
      if (await this.store.remove(r.name)) removed.push(r.name);
    }
    await this.store.sweep();
    return removed;
  }
}

async function isEmptyDir(p: string): Promise<boolean> {
  const d = await fsp.opendir(p);
  try {
    return (await d.read()) === null;
  } finally {
    await d.close().catch(() => undefined);
  }
}

/** `volume.subpath`: a path inside the volume that must exist and must not lead out of it. */
async function subpathSource(data: string, subpath: string, name: string): Promise<string> {
  const clean = posix.normalize(subpath);
  if (posix.isAbsolute(clean) || clean === '..' || clean.startsWith('../')) {
    throw new TscError('SPEC_INVALID', `volume "${name}": subpath "${subpath}" must be relative and stay inside the volume`);
  }
  const p = join(data, clean);
  let real: string;
  try {
    real = await fsp.realpath(p);
  } catch {
    throw new TscError('NOT_FOUND', `volume "${name}": subpath "${subpath}" does not exist in the volume`);
  }
  const rel = relative(await fsp.realpath(data), real);
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new TscError('SPEC_INVALID', `volume "${name}": subpath "${subpath}" leads out of the volume`);
  }
  return real;
}
