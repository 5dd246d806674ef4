/**
 * Dependency order of services: `depends_on`, `network_mode: service:X` and `volumes_from: X` make X start
 * first. Returned as levels: every service of a level depends only on services of earlier levels, so a level
 * can be started in parallel. Stop order is the reverse. Pure; names sorted inside a level for determinism.
 */
import type { Service } from '../spec/model.js';
import { TscError } from '../errors.js';

/** The services `svc` must wait for (only those present in `known`). */
export function dependenciesOf(svc: Service, known: ReadonlySet<string>): string[] {
  const deps = new Set<string>(Object.keys(svc.dependsOn));
  if (svc.networkMode.kind === 'service') deps.add(svc.networkMode.service);
  for (const v of svc.volumesFrom) {
    const name = v.split(':')[0] ?? '';
    if (!name.startsWith('container:')) deps.add(name);
  }
  return [...deps].filter((d) => known.has(d) && d !== svc.name).sort();
}

/** Start order as levels. Throws TscError('SPEC_INVALID') on a cycle (the spec layer normally catches it first). */
export function startLevels(services: Record<string, Service>): string[][] {
  const names = new Set(Object.keys(services));
  const deps = new Map<string, string[]>();
  for (const n of names) deps.set(n, dependenciesOf(services[n] as Service, names));
  const done = new Set<string>();
  const levels: string[][] = [];
  while (done.size < names.size) {
    const level = [...names].filter((n) => !done.has(n) && (deps.get(n) ?? []).every((d) => done.has(d))).sort();
    if (level.length === 0) {
      const left = [...names].filter((n) => !done.has(n)).sort();
      throw new TscError('SPEC_INVALID', `dependency cycle between services: ${left.join(', ')}`);
    }
    for (const n of level) done.add(n);
    levels.push(level);
  }
  return levels;
}

/** Stop order: the start levels reversed. */
export function stopLevels(services: Record<string, Service>): string[][] {
  return startLevels(services).reverse();
}

/** `selected` plus everything they depend on, transitively (what `up SERVICE...` brings up). */
export function withDependencies(services: Record<string, Service>, selected: readonly string[]): string[] {
  const names = new Set(Object.keys(services));
  const out = new Set<string>();
  const visit = (n: string): void => {
    if (out.has(n) || !names.has(n)) return;
    out.add(n);
    for (const d of dependenciesOf(services[n] as Service, names)) visit(d);
  };
  for (const s of selected) {
    if (!names.has(s)) throw new TscError('NOT_FOUND', `no such service: ${s}`);
    visit(s);
  }
  return [...out].sort();
}

/** Flat start order (levels concatenated). */
export function startOrder(services: Record<string, Service>): string[] {
  return startLevels(services).flat();
}
