/**
 * The verbs, as the supervisor carries them out. Each one first records the intent (state file, written
 * atomically), then acts; every verb runs exclusively with the controller's passes.
 */
import { rmSync } from 'node:fs';
import type { Project, Service } from '../spec/model.js';
import type { ContainerInfo } from '../runtime/api.js';
import type { DownOptions, OnProgress, UpOptions, UpResult } from '../api.js';
import { configHash } from '../controller/hash.js';
import { startLevels, withDependencies } from '../controller/order.js';
import { TscError } from '../errors.js';
import { emptyState, type ProjectState } from '../state/project-state.js';
import type { Controller, OneShot } from './controller.js';
import { lastLogLines } from './dependencies.js';
import { L_HASH, isServiceContainer } from './labels.js';
import { withRestartDependents } from '../health/dependency.js';

function pick(c: Controller, services: string[]): string[] {
  const p = c.project;
  if (!p) throw new TscError('NOT_FOUND', `project ${c.st.name} has no containers; run up first`);
  for (const s of services) if (!p.services[s]) throw new TscError('NOT_FOUND', `no such service: ${s}`);
  return services.length ? services : Object.keys(p.services);
}

/** Containers grouped in stop order (dependents first; services unknown to the file first of all). */
function stopGroups(c: Controller, infos: ContainerInfo[]): ContainerInfo[][] {
  const p = c.project;
  const levels = p ? startLevels(p.services).reverse() : [];
  const known = new Set(levels.flat());
  const groups = [infos.filter((i) => !known.has(i.service))];
  for (const l of levels) groups.push(infos.filter((i) => l.includes(i.service)));
  return groups.filter((g) => g.length > 0);
}

/** A verb that (re)starts services starts their restart count and back-off afresh, as Docker does. */
function resetRestarts(c: Controller, services: string[]): void {
  for (const k of Object.keys(c.st.restarts)) if (services.includes(k.split('/')[0] ?? '')) delete c.st.restarts[k];
}

export function servicePorts(project: Project): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [n, s] of Object.entries(project.services)) {
    const ports = [...new Set([...s.ports.map((p) => p.target), ...s.expose.map((e) => e.port)])];
    if (ports.length) out[n] = ports;
  }
  return out;
}

/** `fresh`: the project has no container yet (its networks are reported created); may be known only later. */
async function ensureProjectResources(c: Controller, project: Project, progress: OnProgress, fresh: boolean | Promise<boolean> = false, createdVolumes: string[] = []): Promise<void> {
  const { network, volumes } = c.deps;
  if (network) {
    const nets = await network.ensureNetworks(project, { servicePorts: servicePorts(project) });
    // Compose's two lines per network (the kernel work is done by then: both are said at once)
    if (await fresh) {
      for (const n of nets) {
        if (n.external) continue;
        progress({ type: 'resource', resource: `Network ${n.name}`, status: 'Creating', done: false });
        progress({ type: 'resource', resource: `Network ${n.name}`, status: 'Created', done: true });
      }
    }
  }
  if (volumes) {
    for (const [key, v] of Object.entries(project.volumes)) {
      const r = await volumes.ensure(project.name, key, v);
      if (r.created) {
        createdVolumes.push(r.name);
        progress({ type: 'resource', resource: `Volume ${r.name}`, status: 'Creating', done: false });
        progress({ type: 'resource', resource: `Volume ${r.name}`, status: 'Created', done: true });
      }
      for (const w of r.warnings) progress({ type: 'message', level: 'warning', text: w });
    }
  }
}

/**
 * The exit watch of a started container loads koffi (src/sys/pidfd.ts): ~15 ms of blocking main-thread
 * work, done by the first container's start otherwise, on `up`'s critical path. Done instead while
 * tsc-net makes the project's networks and the journal is written (this thread waits for both anyway).
 */
function warmExitWatch(): void {
  setImmediate(() => {
    import('../sys/pidfd.js').then((sys) => {
      const fd = sys.pidfdOpen(process.pid);
      if (fd !== undefined) sys.pidfdClose(fd);
    }).catch(() => undefined);
  });
}

/** Whether the project has any container at all, one-offs of `run` included (true when the runtime cannot say). */
export function hasAnyContainer(c: Controller): Promise<boolean> {
  return c.deps.runtime.list({ project: c.st.name }).then((l) => l.some((i) => i.project === c.st.name), () => true);
}

/** What `up` changes of the desired state, as it was before (put back by a failed up). */
interface Desired {
  project: Project | undefined;
  phase: ProjectState['phase'];
  active: ProjectState['active'];
  scale: ProjectState['scale'];
  previous: Map<string, Service>;
}

function desiredOf(c: Controller): Desired {
  return { project: c.st.project, phase: c.st.phase, active: { ...c.st.active }, scale: { ...c.st.scale }, previous: new Map(c.previous) };
}

/**
 * An `up` whose images could not be had (a pull that failed, a service to build), or whose networks or
 * volumes could not be made, made no container: as Compose, it fails without changing what runs. The
 * desired state goes back to what it was, so that the controller does not go on trying (pulling, or
 * recreating a running service into an image that is not there) once the CLI has reported the failure.
 * A project that had nothing before also loses the networks and volumes this up made, and its state: the
 * supervisor then exits after its answer (src/supervisor/server.ts). A failure after containers were made
 * (a create that failed) is left to the controller, which retries with back-off as for any container.
 */
async function undoFailedUp(c: Controller, project: Project, prior: Desired, infos: ContainerInfo[], createdVolumes: string[], madeFirst: Promise<unknown>[], progress: OnProgress): Promise<void> {
  // both settled first: the networks may still be in the making when an image has failed
  const early = (await Promise.allSettled(madeFirst)).some((r) => r.status === 'rejected');
  if (!early) return;
  c.st.project = prior.project;
  c.st.phase = prior.phase;
  c.st.active = prior.active;
  c.st.scale = prior.scale;
  c.previous.clear();
  for (const [k, v] of prior.previous) c.previous.set(k, v);
  // nothing of the project at all: no service container, and no one-off of `run` on its networks either
  const fresh = prior.project === undefined && infos.length === 0 && !(await hasAnyContainer(c));
  if (!fresh) {
    await c.save().catch(() => undefined);
    return;
  }
  const { network, volumes } = c.deps;
  if (network) {
    await network.removeProjectNetworks(project, { keep: [], close: false }).catch((e: unknown) => c.deps.log(`up failed; removing its networks: ${String(e)}`));
    for (const n of Object.values(project.networks)) if (!n.external) progress({ type: 'resource', resource: `Network ${n.name}`, status: 'Removed', done: true });
  }
  for (const v of createdVolumes) {
    await volumes?.remove(v).then(
      () => progress({ type: 'resource', resource: `Volume ${v}`, status: 'Removed', done: true }),
      (e: unknown) => c.deps.log(`up failed; removing volume ${v}: ${String(e)}`),
    );
  }
  c.st = emptyState(c.st.name);
}

export async function handleUp(c: Controller, project: Project, opts: UpOptions, progress: OnProgress): Promise<UpResult> {
  const result = await c.exclusive(async () => {
    const named = opts.noDeps === true ? opts.services.filter((s) => project.services[s]) : withDependencies(project.services, opts.services);
    const selected = opts.services.length ? named : Object.keys(project.services);
    for (const [s, n] of Object.entries(opts.scale)) {
      if (!project.services[s]) throw new TscError('NOT_FOUND', `no such service: ${s}`);
      if (!Number.isInteger(n) || n < 0) throw new TscError('USAGE', `invalid scale for ${s}: ${n}`);
    }
    const prior = desiredOf(c); // put back if this up fails before making anything
    // what each service was before this up (a rolling update with failure_action rollback returns to it)
    for (const [name, before] of Object.entries(c.st.project?.services ?? {})) {
      const after = project.services[name];
      if (after && configHash(after) !== configHash(before)) c.previous.set(name, before);
    }
    c.st.project = project;
    c.st.phase = 'up';
    for (const s of Object.keys(c.st.active)) if (!project.services[s]) delete c.st.active[s];
    for (const s of selected) c.st.active[s] = { mode: opts.noStart ? 'created' : 'running' };
    // as Compose: `up` sets replica counts from the file and its --scale flags (an earlier `scale` is undone)
    c.st.scale = { ...opts.scale };
    const t0 = Date.now();
    // Networks and volumes are idempotent and adopted by a successor: they are made while the containers
    // are listed, the images looked up (or pulled) and the pass plans and writes the intent with its
    // journal (one durable write); nothing is made or removed before both are done.
    const listed = c.observe();
    const createdVolumes: string[] = [];
    const resources = ensureProjectResources(c, project, progress, listed.then((l) => l.length === 0, () => false), createdVolumes).then(() => c.deps.log(`up: networks and volumes ready at ${Date.now() - t0} ms`));
    resources.catch(() => undefined); // awaited by the pass (or below)
    const oneShot: OneShot = {};
    // as Compose: --force-recreate is for the services named (all when none is); the dependencies `up`
    // brings along are recreated only when they changed, or with --always-recreate-deps
    const asked = new Set(opts.services.length ? opts.services : Object.keys(project.services));
    for (const s of selected) {
      if (!project.services[s]) continue;
      const force = asked.has(s) ? opts.forceRecreate : opts.alwaysRecreateDeps === true;
      oneShot[s] = { forceRecreate: force, noRecreate: opts.noRecreate, startExited: !opts.noStart };
    }
    const ops = c.ops(true, opts.pull);
    const images = Promise.all(selected.map(async (s) => {
      const svc = project.services[s];
      if (!svc) return;
      const image = await ops.image(svc);
      c.knownImage(image);
      const o = oneShot[s];
      if (o) o.imageId = image.id;
    })).then(() => c.deps.log(`up: images ready at ${Date.now() - t0} ms`));
    images.catch(() => undefined); // awaited below or by the pass
    let infos: ContainerInfo[];
    try {
      infos = await listed;
      c.deps.log(`up: observe ${Date.now() - t0} ms`);
      // Images are compared with existing containers' (drift). Without any, the pass plans and writes its
      // journal while they are looked up (or pulled), and acts once they are there.
      if (infos.some((i) => selected.includes(i.service))) await images;
    } catch (e) {
      await undoFailedUp(c, project, prior, [], createdVolumes, [resources, images], progress);
      throw e;
    }
    const mine = new Set(infos.filter((i) => selected.includes(i.service)).map((i) => i.id));
    c.st.noRestart = c.st.noRestart.filter((id) => !mine.has(id));
    resetRestarts(c, selected);
    // as Compose: a service recreated by this up takes its depends_on `restart: true` dependents along
    const recreated = selected.filter((s) => oneShot[s]?.forceRecreate === true || infos.some((i) => i.service === s && i.labels[L_HASH] !== configHash(project.services[s] as Service)));
    if (!opts.noRecreate) for (const s of withRestartDependents(project.services, recreated)) if (oneShot[s] && !recreated.includes(s)) oneShot[s].forceRecreate = true;
    // up -V: the services whose containers this up recreates leave their anonymous volumes behind
    const renew = opts.noRecreate ? [] : Object.keys(oneShot).filter((s) => recreated.includes(s) || oneShot[s]?.forceRecreate);
    if (opts.renewAnonVolumes && c.deps.volumes && renew.length > 0) {
      await resources; // the volume store: one change at a time
      await c.deps.volumes.renewAnonymousVolumes(project.name, renew);
    }
    // the listing above is current: every change to the project runs in this exclusive section, and an
    // exit since then kicks a pass of its own
    try {
      const passing = c.pass({ oneShot, removeOrphans: opts.removeOrphans, onProgress: progress, request: true, observed: infos, saveIntent: true, ready: Promise.all([resources, images]), sayRunning: true });
      warmExitWatch(); // the pass has planned and is writing its journal, the networks are being made: idle
      return await passing;
    } catch (e) {
      await undoFailedUp(c, project, prior, infos, createdVolumes, [resources, images], progress);
      throw e;
    }
  });
  if (opts.wait) await waitReady(c, Object.keys(c.st.active), opts.waitTimeoutMs ?? 300_000, progress);
  return result;
}

function withLogs(message: string, lines: string[]): TscError {
  return new TscError('RUNTIME', message, { details: lines.length > 0 ? ['last log lines:', ...lines] : [] });
}

/** `up --wait`: every container of the services runs, and is healthy where it has a healthcheck. */
async function waitReady(c: Controller, services: string[], timeoutMs: number, progress: OnProgress): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = (await c.observe()).filter((i) => services.includes(i.service));
    const bad = infos.find((i) => i.status === 'stopped' && (i.exit?.exitCode ?? 0) !== 0);
    if (bad) throw withLogs(`container ${bad.name} exited (${bad.exit?.exitCode ?? 0})`, await lastLogLines(bad));
    const unhealthy = infos.find((i) => c.health.get(i.id) === 'unhealthy');
    if (unhealthy) throw withLogs(`container ${unhealthy.name} is unhealthy`, await lastLogLines(unhealthy));
    const waiting = infos.filter((i) => i.status !== 'running' && i.status !== 'stopped' || c.health.get(i.id) === 'starting');
    if (waiting.length === 0 && infos.length > 0) {
      for (const i of infos) progress({ type: 'resource', resource: `Container ${i.name}`, status: c.health.has(i.id) ? 'Healthy' : 'Running', done: true });
      return;
    }
    if (Date.now() > deadline) throw new TscError('TIMEOUT', `timed out waiting for ${waiting.map((w) => w.name).join(', ') || 'containers'}`);
    await c.nextEvent(Math.min(1000, Math.max(0, deadline - Date.now()) + 10));
  }
}

export async function handleScale(c: Controller, project: Project, scale: Record<string, number>, progress: OnProgress): Promise<UpResult> {
  c.deps.log('scale: request');
  return c.exclusive(async () => {
    for (const [s, n] of Object.entries(scale)) {
      if (!project.services[s]) throw new TscError('NOT_FOUND', `no such service: ${s}`);
      if (!Number.isInteger(n) || n < 0) throw new TscError('USAGE', `invalid scale for ${s}: ${n}`);
    }
    c.st.project = project;
    c.st.phase = 'up';
    for (const [s, n] of Object.entries(scale)) {
      c.st.scale[s] = n;
      c.st.active[s] = { mode: 'running' };
      for (const d of withDependencies(project.services, [s])) c.st.active[d] ??= { mode: 'running' };
    }
    // networks and volumes exist once the project runs; a scale of a project that never ran makes them
    const observed = await c.observe();
    const ready = observed.length === 0 ? ensureProjectResources(c, project, () => undefined) : undefined;
    ready?.catch(() => undefined); // awaited by the pass
    // the new scale is written with the pass's journal, before anything is made or removed
    return c.pass({ onProgress: progress, request: true, observed, saveIntent: true, ...(ready ? { ready } : {}) });
  });
}

export async function handleStop(c: Controller, services: string[], timeoutMs: number | undefined, progress: OnProgress, signal?: string): Promise<void> {
  await c.exclusive(async () => {
    const sel = pick(c, services);
    const all = (await c.observe()).filter((i) => sel.includes(i.service));
    const infos = all.filter((i) => i.status === 'running');
    // a stopped service's exited containers (crash-looping, waiting for back-off) are held too
    c.st.noRestart = [...new Set([...c.st.noRestart, ...(signal ? infos : all).map((i) => i.id)])];
    await c.save();
    const verb = signal ? 'kill' : 'stop';
    for (const group of stopGroups(c, infos)) {
      await Promise.all(group.map(async (i) => {
        const res = `Container ${i.name}`;
        progress({ type: 'resource', resource: res, status: signal ? 'Killing' : 'Stopping', done: false });
        if (signal) {
          await c.deps.runtime.kill(i.id, signal);
        } else {
          await c.stopHealth(i.id);
          await c.rotate(i.service, i.id, false);
          await c.ops().stop(i.id, c.service(i.service), timeoutMs);
        }
        c.emit(verb, i);
        progress({ type: 'resource', resource: res, status: signal ? 'Killed' : 'Stopped', done: true });
      }));
    }
  });
}

export async function handleStart(c: Controller, services: string[], progress: OnProgress, recreate = false): Promise<void> {
  await c.exclusive(async () => {
    const sel = pick(c, services);
    const infos = (await c.observe()).filter((i) => sel.includes(i.service));
    const active = sel.filter((s) => c.st.active[s] || infos.some((i) => i.service === s));
    if (active.length === 0) throw new TscError('NOT_FOUND', 'no container to start');
    c.st.phase = 'up';
    for (const s of active) c.st.active[s] = { mode: 'running' };
    const ids = new Set(infos.map((i) => i.id));
    c.st.noRestart = c.st.noRestart.filter((id) => !ids.has(id));
    resetRestarts(c, active);
    const oneShot: OneShot = {};
    // restart recreates every replica at once, as Compose restarts them (not a rolling update)
    for (const s of active) oneShot[s] = recreate ? { forceRecreate: true, restartVerb: true } : { startExited: true };
    await c.pass({ oneShot, onProgress: progress, request: true, saveIntent: true });
  });
}

export async function handleDown(c: Controller, project: Project | undefined, opts: DownOptions, progress: OnProgress, stateFile: string, keepRunning = false): Promise<void> {
  await c.exclusive(async () => {
    const t0 = Date.now();
    c.st.phase = 'down';
    if (project) c.st.project = project;
    if (opts.volumes) c.st.removeVolumes = true;
    if (opts.removeOrphans) c.st.removeOrphans = true;
    // one listing: the service containers and, as Compose, those left by `run` (without --rm)
    const listed = (await c.deps.runtime.list({ project: c.st.name })).filter((i) => i.project === c.st.name);
    const all = listed.filter(isServiceContainer);
    const oneOffs = listed.filter((i) => !isServiceContainer(i));
    const known = new Set(c.project ? [...Object.keys(c.project.services), ...Object.keys(c.project.disabledServices)] : []);
    const targets = [...(opts.removeOrphans || !c.project ? all : all.filter((i) => known.has(i.service))), ...oneOffs];
    // one durable write before anything goes: the phase and every id about to be removed
    c.st.pending = [...new Set([...(c.st.pending ?? []), ...targets.map((i) => i.id)])];
    c.deps.log(`down: ${targets.length} containers listed at ${Date.now() - t0} ms`);
    // The stop signals need not wait for the write (a successor finds the containers stopped and removes
    // them all the same); nothing is removed before it is durable.
    const journal = c.save();
    journal.catch(() => undefined); // awaited before each removal
    const orphans = all.filter((i) => !targets.includes(i));
    for (const o of orphans) {
      progress({ type: 'message', level: 'warning', text: `Found orphan container (${o.name}) for this project. Run down with --remove-orphans to remove it.` });
    }
    // a running orphan keeps its network, and so the networks it is on (Docker: active endpoints)
    const keep = orphans.filter((i) => i.status === 'running').map((i) => i.id);
    // As Compose: dependents stop (and are reported removed) before their dependencies. A group's files go
    // while the next group stops, and the last ones while the project's networks go (the network
    // teardown only needs every PID 1 gone); "Removed" lines keep the stop order.
    const { network, volumes } = c.deps;
    const removals: Promise<void>[] = [];
    let reported: Promise<void> = Promise.resolve();
    for (const group of stopGroups(c, targets)) {
      // a container's files go as soon as it stopped, while the slower ones of its group still stop
      const gone: Promise<void>[] = [];
      await Promise.all(group.map(async (i) => {
        progress({ type: 'resource', resource: `Container ${i.name}`, status: i.status === 'running' ? 'Stopping' : 'Removing', done: false });
        await c.quiesce(i.id, i.service, c.service(i.service), opts.timeoutMs);
        await journal;
        const r = c.ops().remove(i.id, c.service(i.service), opts.timeoutMs, false).then(() => c.emit('destroy', i));
        r.catch(() => undefined); // awaited below
        gone.push(r);
      }));
      const removed = Promise.all(gone);
      reported = Promise.all([reported, removed]).then(() => {
        for (const i of group) progress({ type: 'resource', resource: `Container ${i.name}`, status: 'Removed', done: true });
      });
      reported.catch(() => undefined); // awaited below; not "unhandled" while the next group stops
      removals.push(reported);
    }
    c.deps.log(`down: containers stopped at ${Date.now() - t0} ms`);
    const removeContainers = async (): Promise<void> => {
      await Promise.all([...removals, c.settled()]); // volumes after every container's files, earlier ones' too
      c.deps.log(`down: containers removed at ${Date.now() - t0} ms`);
      if (volumes && c.st.removeVolumes) {
        for (const v of await volumes.removeProjectVolumes(c.st.name)) progress({ type: 'resource', resource: `Volume ${v}`, status: 'Removed', done: true });
      } else if (volumes) {
        // As Docker: anonymous volumes outlive `down` (dangling, for `volume prune`) but the next `up` gets fresh ones.
        await volumes.releaseAnonymousVolumes(c.st.name);
      }
    };
    let inUse: string[] = [];
    const removeNetworks = async (): Promise<void> => {
      await c.settled(); // earlier removals' background work (networks, files) first
      if (!network) return;
      // every container's netns and veths, the bridges and the nft table: one tsc-net, one ip, one nft.
      // A supervisor that exits after this answer has its LB, DNS and network helper stop as soon as
      // their last work is done, while the files still go: the CLI returns once this process (and so
      // every one of its helpers) is gone.
      ({ inUse } = await network.removeProjectNetworks(c.project ?? c.st.name, { keep, close: !keepRunning }));
      c.deps.log(`down: networks removed at ${Date.now() - t0} ms`);
      if (!keepRunning) await network.close(); // done already: only confirms every helper exited
    };
    await Promise.all([removeContainers(), removeNetworks()]);
    // reported after the containers, in Compose's order
    if (network) {
      for (const n of Object.values(c.project?.networks ?? {})) {
        if (n.external) continue;
        // Compose's warning for a network a container still uses; down goes on and succeeds
        if (inUse.includes(n.name)) {
          progress({ type: 'resource', resource: `Network ${n.name}`, status: 'Removing', done: false });
          progress({ type: 'resource', resource: `Network ${n.name}`, status: 'Resource is still in use', done: true });
        } else progress({ type: 'resource', resource: `Network ${n.name}`, status: 'Removed', done: true });
      }
    }
    // the journal's write may still be in flight when there was nothing to remove (it is awaited only
    // before a removal): its rename must not bring the state file back after this unlink
    await journal.catch(() => undefined);
    rmSync(stateFile, { force: true }); // one unlink: not worth a thread-pool round trip
    c.deps.log(`down: done in ${Date.now() - t0} ms`);
    c.st = emptyState(c.st.name);
    c.closed = !keepRunning;
  });
}
