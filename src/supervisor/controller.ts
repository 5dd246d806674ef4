/**
 * The controller loop of one project (controller-runtime style): every pass reads the whole state
 * (observe), asks the pure `plan` what to do, and executes it. Passes run one at a time (a promise chain);
 * events (container exit, OOM, timer, requests) only `kick()` a pass, they never carry decisions. A failed
 * action holds its slot with exponential back-off; an exception in one pass never stops the loop.
 */
import { EventEmitter } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Project, Service } from '../spec/model.js';
import type { LoadInputs } from '../spec/inputs.js';
import type { ContainerInfo } from '../runtime/api.js';
import type { LocalImage } from '../image/api.js';
import type { ContainerEvent, OnProgress, ResourceProgress } from '../api.js';
import type { HealthCheckerApi, HealthStatus } from '../health/api.js';
import { HealthChecker, effectiveHealthcheck } from '../health/index.js';
import { plan, slotKey, formatPlan, type Action, type Desired, type DesiredService } from '../controller/plan.js';
import { configHash } from '../controller/hash.js';
import { dependenciesOf, startLevels } from '../controller/order.js';
import { isRollingRecreate, type RecreateAction } from '../controller/rolling.js';
import { rollout } from './rollout.js';
import { DEFAULT_BACKOFF, nextBackoff, type BackoffOptions } from '../controller/restart.js';
import { saveProjectState, type ProjectState } from '../state/project-state.js';
import { RetiringMarkers } from './retiring.js';
import { TscError } from '../errors.js';
import { ContainerOps, type EngineDeps } from './containers.js';
import { holdUnmetDependents, waitDependencies } from './dependencies.js';
import { Rotation } from './rotation.js';
import { isServiceContainer, newContainerId, toObserved, L_IMAGE, L_RESTARTS } from './labels.js';

/** Plan causes that Docker serves by restarting the same container (src/controller/plan.ts words them). */
const keepsLog = (cause: string): boolean => cause.includes('restart policy') || cause === 'restart' || cause === 'exited; started again';

export type OneShot = Record<string, Pick<DesiredService, 'forceRecreate' | 'restartVerb' | 'noRecreate' | 'startExited'> & { imageId?: string }>;

export interface PassOptions {
  oneShot?: OneShot;
  removeOrphans?: boolean;
  onProgress?: OnProgress;
  /** A verb waits on this pass: wait for depends_on conditions and throw the first failure. */
  request?: boolean;
  /** Services being rolled back to their previous configuration (rollouts use rollback_config). */
  rollingBack?: ReadonlySet<string>;
  /** A listing the caller just made in the same exclusive section (saves a second one). */
  observed?: ContainerInfo[];
  /**
   * The verb changed the intent (st): the pass writes it, with its journal, in one durable write before
   * it acts (or returns) — not a write of the verb's own followed by the journal's.
   */
  saveIntent?: boolean;
  /** What the actions need first, made while the pass plans and writes its journal (up: networks, volumes). */
  ready?: Promise<unknown>;
  /** `up`: a running container the pass leaves alone is reported "Running", as Compose does. */
  sayRunning?: boolean;
}

export interface PassResult {
  changed: boolean;
  orphans: string[];
}

/**
 * Creates at once (CPU bound on 2 cores: a scale to 20 measured no faster with 4 or 20). Removals are not
 * capped: a removal mostly waits for PID 1 to exit on its stop signal, and all at once those waits overlap.
 */
const PARALLEL = 12;

/** Runs at most `n` of the functions given to it at once, in the order they were given. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next(); // the slot passes on
      else active--;
    }
  };
}

/** configHash per Service object (a loaded project's services are never changed): not per container and pass. */
const hashes = new WeakMap<Service, string>();
function serviceHash(svc: Service): string {
  let h = hashes.get(svc);
  if (h === undefined) hashes.set(svc, (h = configHash(svc)));
  return h;
}

/** How many past events a supervisor keeps for a returning `events` stream (a few KiB). */
const RECENT_EVENTS = 256;

export class Controller {
  readonly bus = new EventEmitter();
  /** The last events, for an `events` stream that comes back after a supervisor change (server.ts `since`). */
  readonly recentEvents: ContainerEvent[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private queued = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly watched = new Set<string>();
  private readonly holds = new Map<string, { until: number; backoffMs: number }>();
  private readonly checkers = new Map<string, HealthCheckerApi>();
  private readonly images = new Map<string, Promise<LocalImage | undefined>>();
  readonly health = new Map<string, HealthStatus>();
  /** Each service's configuration before the last `up` changed it (for update_config failure_action rollback). */
  readonly previous = new Map<string, Service>();
  /** Services whose rolling update asked for a rollback in the running pass. */
  private readonly rollbacks = new Set<string>();
  private readonly lb: Rotation;
  private current: ContainerOps | undefined;
  /** Containers being retired, for a successor if this supervisor is killed meanwhile (retiring.ts). */
  readonly retiring: RetiringMarkers;
  closed = false;
  /**
   * The load inputs of the project a CLI last sent with `up` or `scale`, and that project: a `down` whose
   * command line would load the same (src/spec/inputs.ts) starts before its CLI has loaded anything.
   * Valid only while `st.project` is still that object.
   */
  loaded: { inputs: LoadInputs; project: Project } | undefined;
  /**
   * Containers whose create has not returned yet. One whose PID 1 cannot start (a command not in the
   * image) is in the runtime's list for a moment, exited, before the create fails and removes it: `ps`
   * leaves such a container out (server.ts), as the failed `up` said it was not made.
   */
  readonly inCreate = new Set<string>();

  /** `create` with its container in `inCreate` until it settles. */
  private async creating<T>(id: string, create: Promise<T>): Promise<T> {
    this.inCreate.add(id);
    try {
      return await create;
    } finally {
      this.inCreate.delete(id);
    }
  }

  constructor(
    public st: ProjectState,
    readonly deps: EngineDeps,
    private readonly stateFile: string,
    readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    this.bus.setMaxListeners(0);
    this.lb = new Rotation(() => this.st.name, deps, this.health);
    this.retiring = new RetiringMarkers(join(dirname(stateFile), 'retiring'));
  }

  get project(): Project | undefined {
    return this.st.project;
  }

  private saving: Promise<void> = Promise.resolve();
  private saveQueued: Promise<void> | undefined;

  /**
   * Durably writes the state as it is when the write starts. One write at a time, so an older snapshot
   * never lands after a newer one; callers arriving while a write waits share it (it starts later).
   */
  save(): Promise<void> {
    if (this.saveQueued) return this.saveQueued;
    const run = this.saving.then(() => {
      this.saveQueued = undefined;
      return saveProjectState(this.stateFile, this.st);
    });
    this.saveQueued = run;
    this.saving = run.catch(() => undefined);
    return run;
  }

  /** Run `fn` when no pass or verb is running; serialises every change to the project. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Ask for a background pass (coalesced). */
  kick(): void {
    if (this.queued || this.closed) return;
    this.queued = true;
    void this.exclusive(async () => {
      this.queued = false;
      if (this.closed || this.st.phase !== 'up' || !this.st.project) return;
      await this.pass({});
    }).catch((e: unknown) => this.deps.log(`reconcile failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Resolves on the next container event (create, start, die, health status, ...) or after `ms`: waits react to changes instead of polling. */
  nextEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.bus.off('event', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.bus.on('event', done);
    });
  }

  emit(action: string, c: { id: string; service: string; name: string }, attrs: Record<string, string> = {}): void {
    const e: ContainerEvent = { time: new Date().toISOString(), type: 'container', action, id: c.id, service: c.service, attributes: { name: c.name, ...attrs } };
    this.recentEvents.push(e);
    if (this.recentEvents.length > RECENT_EVENTS) this.recentEvents.splice(0, this.recentEvents.length - RECENT_EVENTS);
    this.bus.emit('event', e);
  }

  async observe(): Promise<ContainerInfo[]> {
    const all = await this.deps.runtime.list({ project: this.st.name });
    const mine = all.filter((c) => isServiceContainer(c) && c.project === this.st.name);
    for (const c of mine) if (c.status === 'running') this.watch(c);
    return mine;
  }

  /**
   * The container operations of the current project. One instance per pass (and the `up` that runs it),
   * so a service's image is resolved — and with pull_policy `always` pulled — once, not once per container;
   * `pull: true` (`up`) applies `always`, passes of their own (restarts, scale) use the local image.
   */
  ops(pull = false, override?: ContainerOps['pullOverride']): ContainerOps {
    const p = this.st.project;
    if (!p) throw new TscError('STATE', `project ${this.st.name} has no configuration yet; run up`);
    if (!this.current || this.current.project !== p || (pull && !this.current.pullAlways) || this.current.pullOverride !== override) this.current = new ContainerOps(this.deps, p, pull, override);
    return this.current;
  }

  service(name: string): Service | undefined {
    return this.st.project?.services[name];
  }

  desired(opts: PassOptions): Desired {
    const p = this.st.project;
    if (!p) throw new TscError('STATE', `project ${this.st.name} has no configuration`);
    const services: Record<string, DesiredService> = {};
    for (const [name, intent] of Object.entries(this.st.active)) {
      const svc = p.services[name];
      if (!svc) continue;
      const replicas = svc.containerName ? Math.min(1, this.st.scale[name] ?? svc.replicas) : (this.st.scale[name] ?? svc.replicas);
      services[name] = {
        name, hash: serviceHash(svc), replicas, restart: svc.restart, mode: intent.mode,
        ...(svc.containerName ? { containerName: svc.containerName } : {}),
        ...(opts.oneShot?.[name] ?? {}),
      };
    }
    const known = [...Object.keys(p.services), ...Object.keys(p.disabledServices)];
    return { project: p.name, services, known, levels: startLevels(p.services), removeOrphans: opts.removeOrphans ?? false };
  }

  /** One observe -> plan -> execute pass. */
  async pass(opts: PassOptions): Promise<PassResult> {
    const t0 = Date.now();
    const desired = this.desired(opts);
    const infos = opts.observed ?? (await this.observe());
    const now = Date.now();
    const noRestart = new Set(this.st.noRestart);
    // a slot whose last action failed waits out its back-off in the background, not when a verb asks
    // (`up` again tries again and reports, as Compose does; the back-off goes on growing if it fails)
    const holds: Record<string, number> = {};
    if (!opts.request) for (const [k, h] of this.holds) holds[k] = h.until;
    const p = plan({ desired, observed: infos.map((c) => toObserved(c, noRestart)), restarts: this.st.restarts, holds, nowMs: now, backoff: this.backoff });
    this.schedule(p.wakeAtMs);
    const progress = opts.onProgress;
    if (progress) {
      for (const o of p.orphans) progress({ type: 'message', level: 'warning', text: `Found orphan container (${o}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.` });
    }
    if (p.actions.length === 0) {
      this.current = undefined;
      await Promise.all([opts.saveIntent ? this.save() : undefined, opts.ready]);
      if (progress) for (const c of infos) if (desired.services[c.service] && c.status === 'running') progress({ type: 'resource', resource: `Container ${c.name}`, status: 'Running', done: true });
      return { changed: false, orphans: p.orphans };
    }
    this.deps.log(`plan (observed in ${now - t0} ms):\n${formatPlan(p, now)}`);
    if (progress && opts.sayRunning) {
      const touched = new Set(p.actions.map((a) => a.name));
      for (const c of infos) {
        if (desired.services[c.service] && c.status === 'running' && !touched.has(c.name)) progress({ type: 'resource', resource: `Container ${c.name}`, status: 'Running', done: true });
      }
    }
    // Intent: ids about to be made, so a supervisor killed mid-pass can undo their half-made network.
    const ids = new Map<Action, string>();
    for (const a of p.actions) if (a.kind === 'create' || a.kind === 'recreate') ids.set(a, newContainerId(a.name));
    // ...and ids about to be removed: a removal cut short is finished by the next supervisor
    const pending = [...ids.values(), ...p.actions.flatMap((a) => (a.kind === 'remove' || a.kind === 'recreate' ? [a.id] : []))];
    // The journal is durable before anything is made or removed; a removal's stop signal need not wait for
    // it (a successor removes a stopped replica beyond the scale all the same), so the stops of a
    // scale-down overlap the write (retire awaits it before the container's files go).
    let journal: Promise<void> = Promise.resolve();
    if (pending.length || opts.saveIntent) {
      this.st.pending = [...(this.st.pending ?? []), ...pending];
      journal = this.save();
      journal.catch(() => undefined); // awaited by each action
    }
    this.journal = journal;
    if (opts.ready) {
      try {
        await opts.ready;
      } catch (e) {
        // nothing was made or removed: the ids leave the journal (a successor would only find them absent)
        this.st.pending = (this.st.pending ?? []).filter((id) => !pending.includes(id));
        await journal.catch(() => undefined);
        await this.save().catch(() => undefined);
        throw e;
      }
    }
    const errors: TscError[] = [];
    const runOne = async (a: Action, fn: () => Promise<void>): Promise<boolean> => {
      const t0 = Date.now();
      try {
        await fn();
        this.deps.log(`${a.kind} ${a.name}: done in ${Date.now() - t0} ms`);
        this.holds.delete(slotKey(a.service, a.number));
        const upd = p.restartUpdates[slotKey(a.service, a.number)];
        if (upd && a.kind === 'recreate') this.st.restarts[slotKey(a.service, a.number)] = upd;
        return true;
      } catch (e) {
        const err = e instanceof TscError ? e : new TscError('RUNTIME', `${a.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        errors.push(err);
        const key = slotKey(a.service, a.number);
        const b = nextBackoff(this.holds.get(key)?.backoffMs ?? 0, undefined, this.backoff);
        this.holds.set(key, { until: Date.now() + b, backoffMs: b });
        this.schedule(Date.now() + b);
        this.deps.log(`${a.kind} ${a.name} failed: ${err.message}`);
        progress?.({ type: 'resource', resource: `Container ${a.name}`, status: 'Error', detail: err.message, done: true });
        return false;
      }
    };
    const restartsOf = (a: Action): number => p.restartUpdates[slotKey(a.service, a.number)]?.attempts ?? this.st.restarts[slotKey(a.service, a.number)]?.attempts ?? 0;
    const run = (a: Action): Promise<void> => runOne(a, () => this.execute(a, ids.get(a), progress, restartsOf(a))).then(() => undefined);
    const slot = limiter(PARALLEL);
    const runGroup = async (acts: Action[]): Promise<void> => {
      // Drift recreates of replicated services roll per deploy.update_config; the rest run in parallel.
      const rolling = new Map<string, RecreateAction[]>();
      const rest: Action[] = [];
      for (const a of acts) {
        if (isRollingRecreate(a, desired.services[a.service]?.replicas ?? 1) && this.service(a.service)) {
          const l = rolling.get(a.service) ?? [];
          l.push(a);
          rolling.set(a.service, l);
        } else rest.push(a);
      }
      await Promise.all([
        ...rest.map((a) => (a.kind === 'remove' ? run(a) : slot(() => run(a)))),
        ...[...rolling].map(([s, list]) => this.rollout(s, list, ids, progress, runOne, restartsOf, errors, opts.rollingBack?.has(s) ?? false)),
      ]);
    };
    // Removals first, in stop order (steps 0 and 1)...
    for (const step of [0, 1]) {
      const acts = p.actions.filter((a) => a.step === step);
      if (acts.length) await runGroup(acts);
    }
    // ...then each service's creates, starts and recreates as soon as the services it depends on (in this
    // pass) are done and its depends_on conditions hold, as Compose walks its dependency graph: not level by
    // level, where a service waited for every service of the level before, unrelated ones too.
    const groups = new Map<string, Action[]>();
    // within a start level, services with published ports first: the first answer on a port comes sooner
    const published = (a: Action): number => ((this.service(a.service)?.ports.length ?? 0) > 0 ? 0 : 1);
    const later = p.actions.filter((a) => a.step >= 2).sort((x, y) => x.step - y.step || published(x) - published(y));
    for (const a of later) groups.set(a.service, [...(groups.get(a.service) ?? []), a]);
    const inPass = new Set(groups.keys());
    /** Per service: false when it was not started because a dependency failed (its dependents are not either). */
    const tasks = new Map<string, Promise<boolean>>();
    let blocked: TscError | undefined;
    for (const [s, acts] of groups) {
      // plan order is dependency order: a dependency's task exists before its dependents'
      const svc = this.service(s);
      const after = svc ? dependenciesOf(svc, inPass).map((d) => tasks.get(d) ?? true) : [];
      tasks.set(s, (async (): Promise<boolean> => {
        if ((await Promise.all(after)).includes(false)) return false;
        let mine = acts;
        if (opts.request) {
          try {
            await waitDependencies(this, s, progress);
          } catch (e) {
            blocked ??= e instanceof TscError ? e : new TscError('RUNTIME', e instanceof Error ? e.message : String(e));
            return false;
          }
        } else {
          const held = await holdUnmetDependents(this, acts);
          mine = held.acts;
          if (held.pending) this.schedule(Date.now() + 1000); // a dependency still starting: look again soon
        }
        await runGroup(mine);
        return true;
      })());
    }
    await Promise.all(tasks.values());
    if (blocked) errors.unshift(blocked); // what the verb reports first
    const te = Date.now();
    // the removed replicas' networks go now, not while other replicas of the pass still stop: deleting veths
    // and the records' files is kernel and disk work the verb's answer need not wait for, nor compete with
    for (const id of this.detachAfterPass.splice(0)) this.detachLater(id);
    this.st.pending = (this.st.pending ?? []).filter((id) => !pending.includes(id) || this.detaching.has(id));
    this.current = undefined; // images are looked up afresh by the next pass
    // The journal's end and the LB's safety-net rebuild (each replica already joined or left its rotation
    // as it started or retired). A verb's answer need not wait for them: they run next in the exclusive
    // chain, before any other change; a supervisor killed before the write finds the journal's ids
    // existing (kept) or gone (removal finished again, idempotent).
    const tail = async (): Promise<void> => {
      await Promise.all([this.save(), this.pushBackends()]);
      this.deps.log(`pass: actions done in ${te - t0} ms, saved and pushed in ${Date.now() - te} ms`);
    };
    if (opts.request && this.rollbacks.size === 0) void this.exclusive(tail).catch((e: unknown) => this.deps.log(`after pass: ${String(e)}`));
    else await tail();
    if (this.rollbacks.size > 0) {
      // update_config failure_action: rollback — the previous configuration is back in st.project
      const rollingBack = new Set(this.rollbacks);
      this.rollbacks.clear();
      await this.save();
      await this.pass({ ...(progress ? { onProgress: progress } : {}), rollingBack }).catch((e: unknown) => {
        errors.push(e instanceof TscError ? e : new TscError('RUNTIME', `rollback: ${e instanceof Error ? e.message : String(e)}`));
      });
    }
    if (opts.request && errors.length) throw errors[0];
    return { changed: true, orphans: p.orphans };
  }

  private async execute(a: Action, id: string | undefined, progress: OnProgress | undefined, restarts: number): Promise<void> {
    const ops = this.ops();
    const svc = this.service(a.service);
    const res = `Container ${a.name}`;
    const say = (status: ResourceProgress['status'], done: boolean, detail?: string): void =>
      progress?.({ type: 'resource', resource: res, status, done, ...(detail ? { detail } : {}) });
    // A restart (by policy, `restart`, or `start`/`up` of an exited container) keeps the slot's log, as
    // Docker's one container across restarts does; not a recreate for a new config or --force-recreate:
    // Compose makes a new container there, with a fresh log.
    let carry: string | undefined;
    if (a.kind === 'recreate' && keepsLog(a.cause) && id) carry = await this.stashLog(a.id, id);
    if (a.kind === 'remove' || a.kind === 'recreate') {
      say(a.kind === 'remove' ? 'Stopping' : 'Recreate', false, a.cause);
      // a removed replica's netns goes after the reply (a recreate's successor takes its name: at once)
      await this.retire(a.id, a.service, a.name, svc, undefined, a.kind === 'remove' ? 'after-pass' : true, this.journal);
      if (a.kind === 'remove') {
        this.forgetId(a.id);
        say('Removed', true);
        return;
      }
      this.forgetId(a.id);
    }
    await this.journal;
    if (a.kind === 'start') {
      say('Starting', false);
      const info = await ops.start(a.id, a.name);
      await this.started(info);
      say('Started', true);
      return;
    }
    if (!svc || !id) throw new TscError('INTERNAL', `service ${a.service} vanished from the project`);
    if (a.kind === 'create') say('Creating', false);
    const info = await this.creating(id, ops.create(id, svc, a.number, a.name, serviceHash(svc), { [L_RESTARTS]: String(restarts) }, a.start, carry)).catch(async (e: unknown) => {
      if (carry) await rm(carry, { force: true });
      throw e;
    });
    this.emit('create', { id, service: a.service, name: a.name });
    // Compose's steps: Creating, Created (Recreate, Recreated), Starting, Started. The runtime creates and
    // starts in one step: Starting is said once it is made.
    say(a.kind === 'recreate' ? 'Recreated' : 'Created', !a.start);
    if (!a.start) return;
    say('Starting', false);
    await this.started(info);
    if (a.kind === 'recreate' && a.cause.includes('restart policy')) this.emit('restart', { id, service: a.service, name: a.name });
    say('Started', true);
  }

  /**
   * A rolling update of one replicated service: batches, monitor, failure_action and max_failure_ratio are
   * src/supervisor/rollout.ts. `stop-first` is the ordinary recreate. `start-first` creates and starts the
   * new replica (same name `project-service-N`) while the old one still serves, waits until it is in
   * rotation (healthy when it has a healthcheck), and only then retires the old one (out of rotation,
   * drained, removed). Old and new coexist under the same compose name for that moment: the runtime, the
   * network layer and the LB rotation are all keyed by container id, so no temporary rename is needed; `ps`
   * may list both briefly. A `rollback` outcome puts the service's previous configuration back (when this
   * supervisor received the new one) for a rollback pass that `pass` runs next.
   */
  private async rollout(
    service: string,
    list: RecreateAction[],
    ids: Map<Action, string>,
    progress: OnProgress | undefined,
    runOne: (a: Action, fn: () => Promise<void>) => Promise<boolean>,
    restartsOf: (a: Action) => number,
    errors: TscError[],
    rollingBack: boolean,
  ): Promise<void> {
    const svc = this.service(service);
    if (!svc) return;
    const out = await rollout(service, svc, list, ids, {
      replace: (a, order) => {
        const id = ids.get(a);
        const fn = order === 'start-first' && id ? () => this.replaceStartFirst(a, id, progress, restartsOf(a)) : () => this.execute(a, id, progress, restartsOf(a));
        return runOne(a, fn);
      },
      failure: async (id) => {
        if (this.health.get(id) === 'unhealthy') return 'unhealthy';
        const info = await this.deps.runtime.inspect(id).catch(() => undefined);
        return !info ? 'gone' : info.status !== 'running' ? `${info.status}${info.exit ? ` (exit ${info.exit.exitCode})` : ''}` : undefined;
      },
      log: (m) => this.deps.log(m),
    }, progress, { rollingBack });
    if (out.error) errors.push(out.error);
    const prev = this.previous.get(service);
    if (out.rollback && prev && this.st.project) {
      this.st.project = { ...this.st.project, services: { ...this.st.project.services, [service]: prev } };
      this.previous.delete(service);
      this.rollbacks.add(service);
    } else if (out.rollback) {
      this.deps.log(`rollback of ${service}: the previous configuration is not known to this supervisor; paused instead`);
    }
  }

  /** start-first: new replica created, started and in rotation before the old one leaves it. */
  private async replaceStartFirst(a: RecreateAction, id: string, progress: OnProgress | undefined, restarts: number): Promise<void> {
    const svc = this.service(a.service);
    if (!svc) throw new TscError('INTERNAL', `service ${a.service} vanished from the project`);
    const ops = this.ops();
    const say = (status: ResourceProgress['status'], done: boolean, detail?: string): void =>
      progress?.({ type: 'resource', resource: `Container ${a.name}`, status, done, ...(detail ? { detail } : {}) });
    say('Recreate', false, `${a.cause} (start-first)`);
    await this.journal;
    const info = await this.creating(id, ops.create(id, svc, a.number, a.name, serviceHash(svc), { [L_RESTARTS]: String(restarts) }));
    this.emit('create', { id, service: a.service, name: a.name });
    say('Recreated', false);
    say('Starting', false);
    try {
      const started = await ops.start(info.id, a.name);
      await this.started(started);
      await this.inRotation(id, a.name);
    } catch (e) {
      // the old replica keeps serving; the half-made new one goes
      await this.stopHealth(id);
      await this.rotate(a.service, id, false).catch(() => undefined);
      await ops.remove(id, svc, 1000).catch(() => undefined);
      throw e;
    }
    await this.retire(a.id, a.service, a.name, svc);
    this.forgetId(a.id);
    say('Started', true);
  }

  /** Resolves once a started replica receives connections: running and, with a healthcheck, healthy. */
  private async inRotation(id: string, name: string): Promise<void> {
    for (;;) {
      const h = this.health.get(id);
      if (h === 'unhealthy') throw new TscError('RUNTIME', `${name} is unhealthy`);
      const info = await this.deps.runtime.inspect(id).catch(() => undefined);
      if (!info || info.status !== 'running') throw new TscError('RUNTIME', `${name} exited before it joined the rotation`);
      if (!this.checkers.has(id) || h === 'healthy') return;
      if (this.closed) throw new TscError('STATE', 'supervisor closing');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The log of a container restarting by policy, moved out of its directory before that goes, for its
   * successor `newId`. It waits in the project's directory, which `down` removes: a supervisor killed
   * before the successor takes it leaves nothing behind for long.
   */
  private async stashLog(oldId: string, newId: string): Promise<string | undefined> {
    const info = await this.deps.runtime.inspect(oldId).catch(() => undefined);
    if (!info) return undefined;
    const to = join(dirname(this.stateFile), `carry-${newId}.log`);
    return rename(info.logPath, to).then(() => to, () => undefined);
  }

  private forgetId(id: string): void {
    this.st.noRestart = this.st.noRestart.filter((x) => x !== id);
  }

  /**
   * Take a container out of rotation, stop it and remove it. `detach: false`: its network goes with the
   * project's; `'later'`: in the background (see detachLater); `'after-pass'`: in the background once the
   * running pass's actions are done.
   */
  async retire(id: string, service: string, name: string, svc: Service | undefined, timeoutMs?: number, detach: boolean | 'later' | 'after-pass' = true, journal?: Promise<void>): Promise<void> {
    this.retiring.mark(id);
    await this.leaveRotation(id, service, svc);
    if (journal) {
      // stopped while the pass's journal is written; nothing goes before it is durable
      await this.ops().stop(id, svc, timeoutMs).catch(() => undefined);
      await journal;
    }
    if (detach === 'after-pass') {
      // the container's directory goes in the background too, with its network (detachLater)
      await this.ops().remove(id, svc, timeoutMs, false, true);
      this.detachAfterPass.push(id);
    } else {
      await this.ops().remove(id, svc, timeoutMs, detach === true);
      if (detach === 'later') this.detachLater(id);
    }
    this.retiring.unmark(id);
    this.emit('destroy', { id, service, name });
  }

  /** No health checks, no new connections (open ones drained): the first half of a retire. */
  private async leaveRotation(id: string, service: string, svc: Service | undefined): Promise<void> {
    await this.stopHealth(id);
    if (this.deps.network && svc) {
      await this.rotate(service, id, false);
      await this.deps.network.drain(this.st.name, service, id, svc.stopGracePeriodMs).catch(() => undefined);
    }
  }

  /**
   * Out of rotation and stopped (grace, then SIGKILL), not removed: `down` removes after every stop. As
   * Compose, the stop signal goes at once: the whole project goes and its connections end with its
   * containers; a drain first would wait out the grace period for an idle keep-alive client.
   */
  async quiesce(id: string, service: string, svc: Service | undefined, timeoutMs?: number): Promise<void> {
    await this.stopHealth(id);
    if (this.deps.network && svc) await this.rotate(service, id, false);
    await this.ops().stop(id, svc, timeoutMs).catch((e) => this.deps.log(`stop ${id}: ${String(e)}`));
  }

  private readonly detaching = new Map<string, Promise<void>>();
  /** The running pass's journal write (ids about to be made or removed). */
  private journal: Promise<void> = Promise.resolve();
  /** Retired in the running pass: detached (in the background) once the pass's actions are done. */
  private readonly detachAfterPass: string[] = [];

  /**
   * The netns and veths of a removed container (it is out of the runtime, the LB and the service's DNS
   * answer already) go without holding up the verb: deleting veths costs the kernel tens of ms each.
   * The id stays in the journal (st.pending) until it is done, so a supervisor killed meanwhile has its
   * successor finish it.
   */
  private detachLater(id: string): void {
    const net = this.deps.network;
    if (this.detaching.has(id)) return;
    const t0 = Date.now();
    // ...and the directory of a removal with filesLater
    const files = (this.deps.runtime.removed?.(id) ?? Promise.resolve()).catch((e: unknown) => this.deps.log(`remove ${id}: ${String(e)}`));
    const network = net ? net.detach(id).then(
      () => this.deps.log(`${id}: network detached in ${Date.now() - t0} ms`),
      (e: unknown) => this.deps.log(`detach ${id}: ${String(e)}`),
    ) : Promise.resolve();
    const p = Promise.all([files, network]).then(async () => {
      this.detaching.delete(id);
      if (!this.st.pending?.includes(id)) return;
      this.st.pending = this.st.pending.filter((x) => x !== id);
      // `down` writes (and then removes) the state itself; a lost write only repeats an idempotent detach
      if (this.st.phase === 'up' && !this.closed) await this.save().catch(() => undefined);
    });
    this.detaching.set(id, p);
  }

  /** Resolves when background detaches are done (before a project's networks go, and at exit). */
  async settled(): Promise<void> {
    for (const id of this.detachAfterPass.splice(0)) this.detachLater(id); // a pass that threw half way
    while (this.detaching.size) await Promise.all([...this.detaching.values()]);
  }

  /** Bookkeeping once a container's PID 1 runs: exit watch, health checks, events. */
  async started(info: ContainerInfo): Promise<void> {
    this.emit('start', info);
    this.watch(info);
    await this.startHealth(info);
    await this.rotate(info.service, info.id, true);
  }

  watch(c: ContainerInfo): void {
    if (this.watched.has(c.id)) return;
    this.watched.add(c.id);
    if (!this.checkers.has(c.id) && this.st.project) void this.startHealth(c).catch(() => undefined);
    this.deps.runtime.wait(c.id).then(
      (exit) => {
        this.watched.delete(c.id);
        if (exit.oomKilled) this.emit('oom', c);
        this.emit('die', c, { exitCode: String(exit.exitCode) });
        void this.stopHealth(c.id);
        void this.rotate(c.service, c.id, false).catch(() => undefined);
        this.kick();
      },
      () => {
        this.watched.delete(c.id);
      },
    );
  }

  /**
   * An image by id, looked up once for all replicas (each replica's start asked the store again: its refs
   * and config files read per container). An id names the config's digest, so what it found never changes;
   * a miss is not remembered (the image may be pulled later).
   */
  /** An image a verb has at hand (up resolved it), for the health checks of the containers it starts. */
  knownImage(image: LocalImage): void {
    if (this.images.has(image.id)) return;
    if (this.images.size >= 64) this.images.clear();
    this.images.set(image.id, Promise.resolve(image));
  }

  private imageById(id: string): Promise<LocalImage | undefined> {
    let p = this.images.get(id);
    if (!p) {
      p = this.deps.images.get(id).catch(() => undefined);
      if (this.images.size >= 64) this.images.clear();
      this.images.set(id, p);
      void p.then((img) => img ?? this.images.delete(id));
    }
    return p;
  }

  private async startHealth(info: ContainerInfo): Promise<void> {
    const svc = this.service(info.service);
    if (!svc || this.checkers.has(info.id)) return;
    const imageId = info.labels[L_IMAGE];
    const image = imageId ? await this.imageById(imageId) : undefined;
    const probe = effectiveHealthcheck(svc.healthcheck, image?.config.healthcheck);
    if (!probe || this.checkers.has(info.id)) return;
    const started = info.startedAt ? Date.parse(info.startedAt) : Date.now();
    const hc = new HealthChecker({
      containerId: info.id,
      service: info.service,
      probe,
      startedAt: started,
      exec: (argv, timeoutMs) => this.deps.runtime.exec(info.id, { argv, timeoutMs }),
      onEvent: (e) => {
        this.health.set(info.id, e.status);
        this.emit(`health_status: ${e.status}`, info);
        void this.rotate(info.service, info.id, true).catch(() => undefined);
      },
    });
    this.checkers.set(info.id, hc);
    hc.start();
  }

  async stopHealth(id: string): Promise<void> {
    const hc = this.checkers.get(id);
    this.checkers.delete(id);
    this.health.delete(id);
    await hc?.stop();
  }

  /** Tell the load balancer which replicas may receive connections (running, not unhealthy or starting). */
  async pushBackends(): Promise<void> {
    if (!this.deps.network || !this.st.project) return;
    const infos = await this.deps.runtime.list({ project: this.st.name });
    await this.lb.rebuild(infos.filter(isServiceContainer), Object.keys(this.st.project.services));
  }

  /** One replica joins (running) or leaves (stopping, exited) its service's rotation, without a listing. */
  rotate(service: string, id: string, present: boolean): Promise<void> {
    return this.lb.rotate(service, id, present);
  }

  private schedule(at: number | undefined): void {
    if (at === undefined || this.closed) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, at - Date.now()) + 5);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const id of [...this.checkers.keys()]) await this.stopHealth(id);
    await this.settled();
  }
}
