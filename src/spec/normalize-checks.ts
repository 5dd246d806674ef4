/**
 * Project-level consistency, as Compose checks it after loading: every reference a service makes (depends_on,
 * network_mode service:X, volumes_from, networks, named volumes) must exist and be enabled; no dependency
 * cycles; no container_name with more than one replica or shared by two services; an image or a build.
 * Implicit dependencies (network_mode service:X, volumes_from X, links X[:alias]) are added to depends_on first,
 * as Compose does.
 */
import type { Service } from './model.js';
import type { Problems } from './normalize-util.js';

export interface CheckInput {
  enabled: Record<string, Service>;
  disabled: Record<string, Service>;
  networks: ReadonlySet<string>;
  volumes: ReadonlySet<string>;
}

function volumesFromService(entry: string): string | undefined {
  if (entry.startsWith('container:')) return undefined;
  return entry.split(':')[0];
}

export function addImplicitDependencies(services: Record<string, Service>, links: Record<string, string[]>): void {
  for (const svc of Object.values(services)) {
    // restart: true where the dependent must follow a restart of the dependency (it joined its network
    // namespace, or links to it), as compose-go sets it.
    const implicit: [string, boolean][] = (links[svc.name] ?? []).map((l) => [l.split(':')[0] as string, true]);
    if (svc.networkMode.kind === 'service') implicit.push([svc.networkMode.service, true]);
    for (const v of svc.volumesFrom) {
      const name = volumesFromService(v);
      if (name !== undefined) implicit.push([name, false]);
    }
    for (const [dep, restart] of implicit) {
      if (dep in services && !(dep in svc.dependsOn)) svc.dependsOn[dep] = { condition: 'service_started', required: true, restart };
    }
  }
}

function checkReferences(name: string, svc: Service, input: CheckInput, p: Problems): void {
  const at = ['services', name];
  for (const [dep, cfg] of Object.entries(svc.dependsOn)) {
    const state = dep in input.enabled ? 'enabled' : dep in input.disabled ? 'disabled' : 'missing';
    if (state === 'enabled') continue;
    const what = state === 'missing' ? `undefined service "${dep}"` : `service "${dep}", which is disabled (its profiles are not active)`;
    if (cfg.required) p.errorAtEntry([...at, 'depends_on'], dep, `service "${name}" depends on ${what}`);
    else {
      p.errorAtEntry([...at, 'depends_on'], dep, `service "${name}" depends on ${what}; ignored because required: false`, 'warning');
      delete svc.dependsOn[dep];
    }
  }
  if (svc.networkMode.kind === 'service' && !(svc.networkMode.service in input.enabled)) {
    p.error([...at, 'network_mode'], `service "${name}" uses the network of undefined or disabled service "${svc.networkMode.service}"`);
  }
  svc.volumesFrom.forEach((v, i) => {
    const src = volumesFromService(v);
    if (src !== undefined && !(src in input.enabled)) {
      p.error([...at, 'volumes_from', i], `service "${name}" mounts volumes from undefined or disabled service "${src}"`);
    }
  });
  for (const net of Object.keys(svc.networks)) {
    if (net !== 'default' && !input.networks.has(net)) {
      p.errorAtEntry([...at, 'networks'], net, `service "${name}" refers to undefined network "${net}" (declare it under the top-level networks:)`);
    }
  }
  svc.volumes.forEach((m, i) => {
    if (m.type === 'volume' && m.source !== undefined && !input.volumes.has(m.source)) {
      p.error([...at, 'volumes', i], `service "${name}" refers to undefined volume "${m.source}" (declare it under the top-level volumes:)`);
    }
  });
  if (svc.image === undefined && svc.build === undefined) {
    p.errorAtKey(at, `service "${name}" has neither an image nor a build context specified`);
  }
  if (svc.containerName !== undefined && svc.replicas > 1) {
    p.error([...at, 'container_name'], `container_name "${svc.containerName}" cannot be used with ${svc.replicas} replicas: container names must be unique`);
  }
}

function findCycle(services: Record<string, Service>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of Object.keys(services[name]?.dependsOn ?? {}).sort()) {
      if (!(dep in services)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(services).sort()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

export function checkProject(input: CheckInput, p: Problems): void {
  for (const [name, svc] of Object.entries(input.enabled)) checkReferences(name, svc, input, p);
  const cycle = findCycle(input.enabled);
  if (cycle) {
    const [first, second] = cycle as [string, string];
    p.errorAtEntry(['services', first, 'depends_on'], second, `dependency cycle: ${cycle.join(' -> ')}`);
  }
  const owners = new Map<string, string>();
  for (const [name, svc] of Object.entries(input.enabled)) {
    if (svc.containerName === undefined) continue;
    const other = owners.get(svc.containerName);
    if (other !== undefined) {
      p.error(['services', name, 'container_name'], `container_name "${svc.containerName}" is already used by service "${other}"`);
    } else owners.set(svc.containerName, name);
  }
}
