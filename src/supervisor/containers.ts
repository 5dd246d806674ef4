/**
 * Side effects on one container, in the order the collaborators need them:
 * create  = image ensure -> volumes -> network attach -> runtime create (-> start)
 * remove  = leave LB rotation (caller) -> stop (grace, signal) -> runtime remove -> network detach
 * A failure half way undoes what was done, so a failed create leaks nothing.
 */
import type { Project, Service } from '../spec/model.js';
import type { ContainerInfo, ContainerRuntime, ResolvedMount } from '../runtime/api.js';
import type { ImageStoreApi, LocalImage } from '../image/api.js';
import type { NetworkManager } from '../network/api.js';
import type { VolumeManagerApi } from '../volume/api.js';
import { TscError, isTscError } from '../errors.js';
import { L_COMMAND, L_PORTS, L_FILES, L_HASH, L_IMAGE, L_IMAGE_REF, L_NUMBER, L_ONEOFF, L_PROJECT, L_SERVICE, L_VERSION, L_WORKDIR } from './labels.js';

export interface EngineDeps {
  runtime: ContainerRuntime;
  images: ImageStoreApi;
  network?: NetworkManager;
  volumes?: VolumeManagerApi;
  log(msg: string): void;
}

export function serviceImageRef(project: Project, svc: Service): string {
  return svc.image ?? `${project.name}-${svc.name}`;
}

export class ContainerOps {
  private readonly images = new Map<string, Promise<LocalImage>>();

  constructor(
    private readonly deps: EngineDeps,
    readonly project: Project,
    /** pull_policy `always` pulls (an `up`); otherwise the local image is used when there is one. */
    readonly pullAlways = false,
    /** `up --pull`: replaces each service's pull_policy, except `build`. */
    readonly pullOverride?: 'always' | 'missing' | 'never',
  ) {}

  /** The service's image per its pull policy, once per instance (one pass). */
  image(svc: Service): Promise<LocalImage> {
    const ref = serviceImageRef(this.project, svc);
    let p = this.images.get(ref);
    if (!p) {
      // always and the refresh policies (daily, weekly, every_*) are looked at by `up`, not by every restart
      const want = this.pullOverride && svc.pullPolicy !== 'build' ? this.pullOverride : svc.pullPolicy;
      const atUp = want === 'always' || want === 'daily' || want === 'weekly' || want.startsWith('every_');
      // A service built from its build: section (no image of its own, or pull_policy build) is never
      // pulled: Compose builds it, and tscompose does not build yet (it uses the image when present).
      const built = svc.build !== undefined && (svc.pullPolicy === 'build' || (svc.image === `${this.project.name}-${svc.name}` && want !== 'always'));
      const policy = built ? 'never' : want === 'build' || (atUp && !this.pullAlways) ? 'missing' : want;
      p = this.deps.images.ensure(ref, policy).catch(async (e: unknown) => {
        if (!built || (await this.deps.images.get(ref).catch(() => undefined))) throw e;
        throw new TscError('IMAGE', `service "${svc.name}" is built from ${svc.build?.context ?? 'its build context'} (build:), and tscompose does not build images yet: build it with another tool and load it as ${ref} (e.g. docker save ${ref} | tscompose image load), or give the service an image: to pull`);
      });
      p.catch(() => this.images.delete(ref));
      this.images.set(ref, p);
    }
    return p;
  }

  labels(svc: Service, n: number, hash: string, image: LocalImage): Record<string, string> {
    return {
      // the image's labels first, the service's win (as Docker merges them)
      ...image.config.labels,
      ...svc.labels,
      [L_PROJECT]: this.project.name,
      [L_SERVICE]: svc.name,
      [L_NUMBER]: String(n),
      [L_HASH]: hash,
      [L_ONEOFF]: 'False',
      [L_IMAGE]: image.id,
      [L_IMAGE_REF]: serviceImageRef(this.project, svc),
      [L_WORKDIR]: this.project.workingDir,
      [L_FILES]: this.project.composeFiles.join(','),
      [L_VERSION]: '2.0.0-tscompose',
      [L_COMMAND]: JSON.stringify([...(svc.entrypoint ?? image.config.entrypoint ?? []), ...(svc.command ?? image.config.cmd ?? [])]),
      [L_PORTS]: svc.ports
        .filter((p) => p.published !== undefined)
        .map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.published ?? 0}->${p.target}/${p.protocol}`)
        .join(','),
    };
  }

  /**
   * Create the container; with `start`, PID 1 runs when this resolves (one runtime call instead of two).
   * `carryLog`: a log file the container goes on appending to (ContainerCreateRequest.carryLog).
   */
  async create(id: string, svc: Service, n: number, name: string, hash: string, extraLabels: Record<string, string> = {}, start = false, carryLog?: string): Promise<ContainerInfo> {
    const image = await this.image(svc);
    let mounts: ResolvedMount[] = [];
    if (this.deps.volumes) {
      const r = await this.deps.volumes.resolveMounts({ project: this.project, service: svc, number: n, image });
      mounts = r.mounts;
      for (const w of r.warnings) this.deps.log(`${name}: ${w}`);
    }
    let attached = false;
    let created = false;
    let attachMs: number | undefined;
    try {
      let netns: string | undefined;
      let hostsFile: string | undefined;
      let resolvConf: string | undefined;
      if (this.deps.network && svc.networkMode.kind !== 'none') {
        const ta = Date.now();
        const a = await this.deps.network.attach({ project: this.project, containerId: id, containerName: name, service: svc.name, number: n });
        attached = true;
        attachMs = Date.now() - ta;
        netns = a.netns;
        hostsFile = a.hostsFile;
        resolvConf = a.resolvConf;
      } else if (svc.networkMode.kind === 'host') {
        netns = 'host';
      }
      const tc = Date.now();
      const info = await this.deps.runtime.create({
        id, name, project: this.project.name, service: svc.name, number: n, spec: svc, image,
        ...(netns !== undefined ? { netns } : {}),
        ...(hostsFile !== undefined ? { hostsFile } : {}),
        ...(resolvConf !== undefined ? { resolvConf } : {}),
        mounts,
        labels: { ...this.labels(svc, n, hash, image), ...extraLabels },
        ...(start ? { start: true } : {}),
        ...(carryLog !== undefined ? { carryLog } : {}),
      });
      created = true;
      // one line per container (a scale logs many)
      this.deps.log(`${name}: ${attachMs !== undefined ? `network attach ${attachMs} ms, ` : ''}runtime create ${Date.now() - tc} ms`);
      return info;
    } catch (e) {
      if (created) await this.deps.runtime.remove(id, { force: true }).catch(() => undefined);
      if (attached) await this.deps.network?.detach(id).catch(() => undefined);
      throw e instanceof TscError ? e : new TscError('RUNTIME', `create ${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  async start(id: string, name: string): Promise<ContainerInfo> {
    try {
      return await this.deps.runtime.start(id);
    } catch (e) {
      throw e instanceof TscError ? e : new TscError('RUNTIME', `start ${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Ids whose stop completed through this instance: an id never runs again (a restart is a new container). */
  private readonly stopped = new Set<string>();

  /** Stop (signal, grace, SIGKILL) when running; idempotent. */
  async stop(id: string, svc: Service | undefined, timeoutMs?: number): Promise<void> {
    const signal = svc?.stopSignal;
    await this.deps.runtime.stop(id, { ...(signal ? { signal } : {}), timeoutMs: timeoutMs ?? svc?.stopGracePeriodMs ?? 10_000 });
    this.stopped.add(id);
  }

  /**
   * Stop, remove and detach; tolerant of a container that is already (partly) gone. `detach: false` leaves
   * the network side to a caller that tears the project's networks down anyway (one call for all).
   * `filesLater`: the container's directory goes in the background (ContainerRuntime.remove).
   */
  async remove(id: string, svc: Service | undefined, timeoutMs?: number, detach = true, filesLater = false): Promise<void> {
    // no inspect first: stop is a no-op on a stopped container, and both say NOT_FOUND for a gone one
    const gone = (e: unknown): boolean => isTscError(e) && e.code === 'NOT_FOUND';
    const t0 = Date.now();
    // stopped already (a retire stops first, while the pass's journal is written): no second look at its state
    if (!this.stopped.has(id)) await this.stop(id, svc, timeoutMs).catch((e) => gone(e) || this.deps.log(`stop ${id}: ${String(e)}`));
    const t1 = Date.now();
    await this.deps.runtime.remove(id, { force: true, ...(filesLater ? { filesLater: true } : {}) }).catch((e) => {
      if (!gone(e)) throw e;
    });
    this.stopped.delete(id);
    const t2 = Date.now();
    if (detach) await this.deps.network?.detach(id).catch((e) => this.deps.log(`detach ${id}: ${String(e)}`));
    this.deps.log(`${id}: stop ${t1 - t0} remove ${t2 - t1}${detach ? ` detach ${Date.now() - t2}` : ''} ms`);
  }
}
