/**
 * `depends_on` conditions during a verb's pass: before a service's containers are created or started, wait
 * until each dependency is started, healthy or completed (src/health decides), or fail with the reason.
 */
import type { ContainerInfo } from '../runtime/api.js';
import type { OnProgress } from '../api.js';
import type { DependencyOutcome, HealthStatus } from '../health/api.js';
import type { Action } from '../controller/plan.js';
import { effectiveHealthcheck, evaluateDependency } from '../health/index.js';
import { TscError } from '../errors.js';
import { L_IMAGE } from './labels.js';
import type { Controller } from './controller.js';
import { open } from 'node:fs/promises';

/**
 * The last `n` lines a container wrote (its CRI log file: "<time> <stream> <F|P> <text>"), as
 * "name | text", for error messages about a failing dependency. Reads at most the file's last 64 KiB.
 */
export async function lastLogLines(info: ContainerInfo, n = 10): Promise<string[]> {
  let text = '';
  try {
    const fh = await open(info.logPath, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 65536);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\S+ (?:stdout|stderr) [FP] (.*)$/.exec(line);
    if (m) out.push(`${info.name}  | ${m[1]}`);
  }
  return out.slice(-n);
}

/** A TscError for a failed dependency, with the last log lines of its containers as details. */
async function dependencyError(message: string, infos: ContainerInfo[]): Promise<TscError> {
  const details: string[] = [];
  for (const i of infos) details.push(...(await lastLogLines(i)));
  return new TscError('RUNTIME', message, { details: details.length > 0 ? ['last log lines:', ...details] : [] });
}

/** Whether the container has a healthcheck (service or image), known before its first result. */
export async function hasHealthcheck(c: Controller, info: ContainerInfo): Promise<boolean> {
  const svc = c.service(info.service);
  if (!svc) return false;
  const imageId = info.labels[L_IMAGE];
  const image = imageId ? await c.deps.images.get(imageId).catch(() => undefined) : undefined;
  return effectiveHealthcheck(svc.healthcheck, image?.config.healthcheck) !== undefined;
}

type DependencyState = { dep: string; condition: string; outcome: DependencyOutcome; infos: ContainerInfo[]; names: string[] };

/** One look at each depends_on condition of `service` (service_started ones are not waited on). */
async function dependencyStates(c: Controller, service: string): Promise<DependencyState[]> {
  const svc = c.service(service);
  if (!svc) return [];
  const out: DependencyState[] = [];
  const all = Object.entries(svc.dependsOn).some(([dep, d]) => c.st.active[dep] && d.condition !== 'service_started') ? await c.observe() : [];
  for (const [dep, d] of Object.entries(svc.dependsOn)) {
    if (!c.st.active[dep] || d.condition === 'service_started') continue;
    const infos = all.filter((i) => i.service === dep);
    const cs = [];
    for (const i of infos) {
      cs.push({
        name: i.name,
        state: i.status === 'stopped' ? ('exited' as const) : i.status,
        hasHealthcheck: await hasHealthcheck(c, i),
        ...(i.exit ? { exitCode: i.exit.exitCode } : {}),
        ...(c.health.has(i.id) ? { health: c.health.get(i.id) as HealthStatus } : {}),
      });
    }
    const outcome = evaluateDependency({ service: dep, condition: d.condition, required: d.required, containers: cs });
    out.push({ dep, condition: d.condition, outcome, infos, names: cs.map((x) => x.name) });
  }
  return out;
}

/** Block until every depends_on condition of `service` is met (request passes only). */
export async function waitDependencies(c: Controller, service: string, progress: OnProgress | undefined): Promise<void> {
  const deadline = Date.now() + 300_000;
  const done = new Set<string>();
  for (;;) {
    const states = (await dependencyStates(c, service)).filter((s) => !done.has(s.dep));
    let waiting: string | undefined;
    for (const { dep, condition, outcome: r, infos, names } of states) {
      if (r.outcome === 'satisfied') {
        done.add(dep);
        if (r.warning) progress?.({ type: 'message', level: 'warning', text: r.warning });
        for (const n of names) progress?.({ type: 'resource', resource: `Container ${n}`, status: condition === 'service_healthy' ? 'Healthy' : 'Stopped', done: true });
        continue;
      }
      if (r.outcome === 'failed') throw await dependencyError(`dependency failed to start: ${r.reason}`, infos);
      waiting ??= r.reason;
      for (const n of names) progress?.({ type: 'resource', resource: `Container ${n}`, status: 'Waiting', done: false });
    }
    if (waiting === undefined) return;
    if (Date.now() > deadline) throw new TscError('TIMEOUT', `${service}: ${waiting}`);
    await c.nextEvent(1000); // a start, exit or health change of a dependency (or a second passed)
  }
}

/**
 * Background passes (no verb waits on them): a service whose depends_on is not met is not started, as
 * Compose never starts it — after a failed dependency its containers are only created; while a dependency
 * is still starting they wait for a later pass (`pending`). Restarts by policy of containers that already
 * ran are not held (the engine restarts them whatever their dependencies do).
 */
export async function holdUnmetDependents(c: Controller, acts: Action[]): Promise<{ acts: Action[]; pending: boolean }> {
  const verdicts = new Map<string, DependencyOutcome>();
  const out: Action[] = [];
  let pending = false;
  for (const a of acts) {
    if (a.kind !== 'start' && !(a.kind === 'create' && a.start)) {
      out.push(a);
      continue;
    }
    let v = verdicts.get(a.service);
    if (!v) {
      const states = await dependencyStates(c, a.service);
      v = states.find((s) => s.outcome.outcome === 'failed')?.outcome ?? states.find((s) => s.outcome.outcome === 'pending')?.outcome ?? { outcome: 'satisfied' };
      verdicts.set(a.service, v);
    }
    if (v.outcome === 'satisfied') {
      out.push(a);
      continue;
    }
    c.deps.log(`${a.name}: not started, ${v.reason}`);
    if (v.outcome === 'pending') pending = true;
    if (a.kind === 'create') {
      a.start = false; // the same object: the pass keyed the new container's id by it
      out.push(a);
    }
  }
  return { acts: out, pending };
}
