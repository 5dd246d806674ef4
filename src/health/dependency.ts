/**
 * `depends_on` conditions, decided from what the controller observed of the dependency's containers.
 * Pure. Mirrors Compose's waitDependencies / isServiceHealthy / isServiceCompleted:
 *
 * - service_started: satisfied once a container of the dependency has been started (running or exited);
 *   pending while none has.
 * - service_healthy: every container must be healthy. One that exited fails ("container X exited (N)"),
 *   an unhealthy one fails ("container X is unhealthy"), one without a healthcheck fails
 *   ("container X has no healthcheck configured"); `starting`, not yet started, or a healthcheck whose
 *   first status is not known yet (`hasHealthcheck`) is pending.
 * - service_completed_successfully: the first exited container decides: code 0 satisfied, else failed
 *   ("service \"X\" didn't complete successfully: exit N"); pending while none has exited.
 * - required: false turns a failure into `satisfied` with a warning (Compose warns and goes on).
 */
import type { DependencyOutcome, DependencyQuery } from './api.js';

export function evaluateDependency(q: DependencyQuery): DependencyOutcome {
  const r = evaluateRequired(q);
  if (r.outcome === 'failed' && !q.required) {
    return { outcome: 'satisfied', warning: `optional dependency "${q.service}" failed: ${r.reason}` };
  }
  return r;
}

function evaluateRequired(q: DependencyQuery): DependencyOutcome {
  const cs = q.containers;
  switch (q.condition) {
    case 'service_started': {
      if (cs.some((c) => c.state !== 'created')) return { outcome: 'satisfied' };
      return { outcome: 'pending', reason: `waiting for service "${q.service}" to start` };
    }
    case 'service_healthy': {
      if (cs.length === 0) return { outcome: 'pending', reason: `waiting for service "${q.service}" to have a container` };
      for (const c of cs) {
        if (c.state === 'exited') return { outcome: 'failed', reason: `container ${c.name} exited (${c.exitCode ?? 0})` };
        if (c.state === 'running' && c.health === undefined && c.hasHealthcheck !== true) {
          return { outcome: 'failed', reason: `container ${c.name} has no healthcheck configured` };
        }
        if (c.health === 'unhealthy') return { outcome: 'failed', reason: `container ${c.name} is unhealthy` };
      }
      const waiting = cs.find((c) => c.state !== 'running' || c.health !== 'healthy');
      if (waiting) return { outcome: 'pending', reason: `waiting for container ${waiting.name} to be healthy` };
      return { outcome: 'satisfied' };
    }
    case 'service_completed_successfully': {
      const exited = cs.find((c) => c.state === 'exited');
      if (!exited) return { outcome: 'pending', reason: `waiting for service "${q.service}" to complete` };
      const code = exited.exitCode ?? 0;
      if (code === 0) return { outcome: 'satisfied' };
      return { outcome: 'failed', reason: `service "${q.service}" didn't complete successfully: exit ${code}` };
    }
  }
}

/** Whether any condition still waits, and the first failure, over all of a service's dependencies. */
export function evaluateDependencies(queries: readonly DependencyQuery[]): {
  outcome: 'satisfied' | 'pending' | 'failed';
  reasons: string[];
  warnings: string[];
} {
  const warnings: string[] = [];
  const pending: string[] = [];
  for (const q of queries) {
    const r = evaluateDependency(q);
    if (r.outcome === 'failed') return { outcome: 'failed', reasons: [`dependency failed to start: ${r.reason}`], warnings };
    if (r.outcome === 'pending') pending.push(r.reason);
    else if (r.warning) warnings.push(r.warning);
  }
  return { outcome: pending.length > 0 ? 'pending' : 'satisfied', reasons: pending, warnings };
}

/**
 * `selected` plus every service that follows them through `depends_on: {X: {restart: true}}`, transitively:
 * what Compose restarts on `restart X` (unless --no-deps) and after it recreated X on `up`.
 */
export function withRestartDependents(services: Readonly<Record<string, { dependsOn: Readonly<Record<string, { restart: boolean }>> }>>, selected: readonly string[]): string[] {
  const out = new Set(selected);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, svc] of Object.entries(services)) {
      if (out.has(name)) continue;
      if (Object.entries(svc.dependsOn).some(([dep, d]) => d.restart && out.has(dep))) {
        out.add(name);
        grew = true;
      }
    }
  }
  return [...out];
}
