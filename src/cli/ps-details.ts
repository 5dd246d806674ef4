/**
 * What `ps --format json` says of a container's networks and mounts, as Compose fills its ContainerSummary
 * from the engine: Networks (names, sorted), Mounts (a volume's name, else the bind's source) and
 * LocalVolumes (how many of those are volumes of the local driver). Read from the records the container
 * was made from: its OCI bundle's mounts (<root>/containers/<id>/bundle/config.json, as volume/in-use.ts
 * reads them) and the network layer's bookkeeping (<root>/network/<project>.json for the names,
 * <root>/network/<project>.d/<id>.json for the container's links; see src/network/manager.ts).
 * tmpfs mounts are left out: Docker lists a `type: tmpfs` volume but not a service's `tmpfs:`, and both
 * are the same tmpfs mount here.
 */
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { byteOrder } from '../order.js';

export interface ContainerDetails {
  networks: string[];
  mounts: string[];
  localVolumes: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The user's mounts of a bundle config: volumes by name (under <root>/volumes/NAME/), other binds by source;
 * the runtime's own files (/etc/hosts... from the container's directory) and kernel filesystems left out.
 */
export function mountsOf(config: unknown, root: string, id: string): Pick<ContainerDetails, 'mounts' | 'localVolumes'> {
  const volumes = join(root, 'volumes') + sep;
  const own = join(root, 'containers', id) + sep;
  const mounts: string[] = [];
  let localVolumes = 0;
  const list = isObject(config) && Array.isArray(config.mounts) ? config.mounts : [];
  for (const m of list) {
    if (!isObject(m) || m.type !== 'bind' || typeof m.source !== 'string' || m.source.startsWith(own)) continue;
    if (m.source.startsWith(volumes)) {
      const name = m.source.slice(volumes.length).split(sep)[0];
      if (!name) continue;
      mounts.push(name);
      localVolumes++;
    } else {
      mounts.push(m.source);
    }
  }
  return { mounts, localVolumes };
}

/** Names of the networks a container's link record lists, through the project's network record; sorted as Compose. */
export function networksOf(projectRecord: unknown, containerRecord: unknown): string[] {
  const nets = isObject(projectRecord) && isObject(projectRecord.networks) ? projectRecord.networks : {};
  const links = isObject(containerRecord) && Array.isArray(containerRecord.links) ? containerRecord.links : [];
  const names = new Set<string>();
  for (const l of links) {
    if (!isObject(l) || typeof l.network !== 'string') continue;
    const n = nets[l.network];
    names.add(isObject(n) && typeof n.name === 'string' ? n.name : l.network);
  }
  return [...names].sort(byteOrder);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined; // gone meanwhile (removed container), or none (network_mode none/host)
  }
}

/** The details of each container (by id) of `project` in state root `root`. */
export function containerDetails(root: string, project: string, containers: readonly { ID: string }[]): Map<string, ContainerDetails> {
  const out = new Map<string, ContainerDetails>();
  const projectRecord = containers.length > 0 ? readJson(join(root, 'network', `${project}.json`)) : undefined;
  for (const { ID } of containers) {
    const networks = networksOf(projectRecord, readJson(join(root, 'network', `${project}.d`, `${ID}.json`)));
    out.set(ID, { networks, ...mountsOf(readJson(join(root, 'containers', ID, 'bundle', 'config.json')), root, ID) });
  }
  return out;
}
