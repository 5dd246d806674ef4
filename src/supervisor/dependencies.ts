/**
 * `depends_on` conditions during a verb's pass: before a service's containers are created or started, wait
 * until each dependency is started, healthy or completed (src/health decides), or fail with the reason.
 */
import type { ContainerInfo } from '../runtime/api.js';
import type { OnProgress } from '../api.js';
import type { HealthStatus } from '../health/api.js';
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

/** Block until every depends_on condition of `service` is met (request passes only). */
export async function waitDependencies(c: Controller, service: string, progress: OnProgress | undefined): Promise<void> {
  const svc = c.service(service);
  if (!svc) return;
  const deadline = Date.now() + 300_000;
  for (const [dep, d] of Object.entries(svc.dependsOn)) {
    if (!c.st.active[dep] || d.condition === 'service_started') continue;
    for (;;) {
      const infos = (await c.observe()).filter((i) => i.service === dep);
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
      const r = evaluateDependency({ service: dep, condition: d.condition, required: d.required, containers: cs });
      if (r.outcome === 'satisfied') {
        if (r.warning) progress?.({ type: 'message', level: 'warning', text: r.warning });
        for (const x of cs) progress?.({ type: 'resource', resource: `Container ${x.name}`, status: d.condition === 'service_healthy' ? 'Healthy' : 'Stopped', done: true });
        break;
      }
      if (r.outcome === 'failed') throw await dependencyError(`dependency failed to start: ${r.reason}`, infos);
      if (Date.now() > deadline) throw new TscError('TIMEOUT', `${service}: ${r.reason}`);
      for (const x of cs) progress?.({ type: 'resource', resource: `Container ${x.name}`, status: 'Waiting', done: false });
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

