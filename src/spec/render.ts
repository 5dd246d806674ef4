/**
 * Project -> the canonical Compose-form object that `tscompose config` prints, like `docker compose config`:
 * snake_case Compose keys, `name:` first, then services, networks, volumes and x-* keys; long syntax for
 * ports, volumes and depends_on; durations as Go-style strings ("1m30s"); sizes in bytes; environment,
 * labels and other maps as sorted maps; services and keys sorted by name. Values equal to the defaults
 * the model fills in (stop_grace_period 10s, pull_policy missing, restart no, one replica) are left out.
 * Disabled services (profiles not active) are not printed. The output loads back into the same Project.
 * Deterministic: the same Project always gives the same object with the same key order.
 */
import type { Network, Project, Volume } from './model.js';
import { compact, renderService } from './render-service.js';
import { sortedRecord } from './normalize-util.js';

type Out = Record<string, unknown>;

function renderNetwork(n: Network): Out {
  const ipam = compact({
    driver: n.ipam.driver,
    config: n.ipam.config.map((c) =>
      compact({ subnet: c.subnet, ip_range: c.ipRange, gateway: c.gateway, aux_addresses: sortedRecord(c.auxAddresses) }),
    ),
  });
  return compact({
    name: n.name,
    driver: n.driver === 'bridge' ? undefined : n.driver,
    driver_opts: sortedRecord(n.driverOpts),
    ipam,
    external: n.external,
    internal: n.internal,
    attachable: n.attachable,
    enable_ipv6: n.enableIpv6,
    labels: sortedRecord(n.labels),
    ...n.extensions,
  });
}

function renderVolume(v: Volume): Out {
  return compact({
    name: v.name,
    driver: v.driver === 'local' ? undefined : v.driver,
    driver_opts: sortedRecord(v.driverOpts),
    external: v.external,
    labels: sortedRecord(v.labels),
    ...v.extensions,
  });
}

function mapSorted<T>(r: Record<string, T>, f: (v: T) => Out): Out {
  const out: Out = {};
  for (const k of Object.keys(r).sort()) out[k] = f(r[k] as T);
  return out;
}

export function renderProject(project: Project): Record<string, unknown> {
  const out: Out = { name: project.name, services: mapSorted(project.services, renderService) };
  if (Object.keys(project.networks).length > 0) out['networks'] = mapSorted(project.networks, renderNetwork);
  if (Object.keys(project.volumes).length > 0) out['volumes'] = mapSorted(project.volumes, renderVolume);
  for (const k of Object.keys(project.extensions).sort()) out[k] = project.extensions[k];
  return out;
}
