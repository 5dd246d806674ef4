/**
 * What containers mount, read from their OCI bundles (`<root>/containers/<id>/bundle/config.json` and
 * `container.json`, written by src/runtime): a volume is in use while any container (running or
 * stopped, as Docker) bind-mounts a path inside `<root>/volumes/<name>/`.
 */
import { promises as fsp } from 'node:fs';
import { join, sep } from 'node:path';
import type { ResolvedMount } from '../runtime/api.js';

interface OciMountLike {
  destination: string;
  type?: string;
  source: string;
  options: string[];
}

function ociMounts(config: unknown): OciMountLike[] {
  if (typeof config !== 'object' || config === null) return [];
  const mounts = (config as { mounts?: unknown }).mounts;
  if (!Array.isArray(mounts)) return [];
  const out: OciMountLike[] = [];
  for (const m of mounts) {
    if (typeof m !== 'object' || m === null) continue;
    const o = m as Record<string, unknown>;
    if (typeof o.destination !== 'string' || typeof o.source !== 'string') continue;
    const options = Array.isArray(o.options) ? o.options.filter((x): x is string => typeof x === 'string') : [];
    out.push({ destination: o.destination, source: o.source, options, ...(typeof o.type === 'string' ? { type: o.type } : {}) });
  }
  return out;
}

/**
 * The volume and bind mounts of the container named `name` (for `volumes_from: container:NAME`), from
 * its bundle; the runtime's own mounts (/etc/hosts and friends, proc, dev, tmpfs) are left out.
 */
export async function containerMountsByName(root: string, name: string): Promise<ResolvedMount[] | undefined> {
  const containers = join(root, 'containers');
  let ids: string[];
  try {
    ids = await fsp.readdir(containers);
  } catch {
    return undefined;
  }
  for (const id of ids) {
    let rec: unknown;
    try {
      rec = JSON.parse(await fsp.readFile(join(containers, id, 'container.json'), 'utf8')) as unknown;
    } catch {
      continue;
    }
    if (typeof rec !== 'object' || rec === null || ((rec as { name?: unknown }).name !== name && id !== name)) continue;
    let config: unknown;
    try {
      config = JSON.parse(await fsp.readFile(join(containers, id, 'bundle', 'config.json'), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
    const own = join(containers, id) + sep;
    return ociMounts(config)
      .filter((m) => m.type === 'bind' && !m.source.startsWith(own))
      .map((m) => ({ type: 'bind' as const, source: m.source, target: m.destination, readOnly: m.options.includes('ro') }));
  }
  return undefined;
}

function mountSources(config: unknown): string[] {
  if (typeof config !== 'object' || config === null) return [];
  const mounts = (config as { mounts?: unknown }).mounts;
  if (!Array.isArray(mounts)) return [];
  const out: string[] = [];
  for (const m of mounts) {
    if (typeof m === 'object' && m !== null && typeof (m as { source?: unknown }).source === 'string') out.push((m as { source: string }).source);
  }
  return out;
}

/**
 * Volume name → ids of the containers that mount it. `bindDevices` (host path → volume name) covers
 * volumes with `driver_opts: {o: bind, device: PATH}`, which containers mount straight from PATH.
 */
export async function volumeUsers(root: string, bindDevices: ReadonlyMap<string, string> = new Map()): Promise<Map<string, string[]>> {
  const users = new Map<string, string[]>();
  const containers = join(root, 'containers');
  const prefix = join(root, 'volumes') + sep;
  let ids: string[];
  try {
    ids = await fsp.readdir(containers);
  } catch {
    return users;
  }
  for (const id of ids) {
    let config: unknown;
    try {
      config = JSON.parse(await fsp.readFile(join(containers, id, 'bundle', 'config.json'), 'utf8')) as unknown;
    } catch {
      continue;
    }
    for (const src of mountSources(config)) {
      const name = src.startsWith(prefix) ? src.slice(prefix.length).split(sep)[0] : bindDevices.get(src);
      if (!name) continue;
      const list = users.get(name) ?? [];
      if (!list.includes(id)) list.push(id);
      users.set(name, list);
    }
  }
  return users;
}
