/**
 * Which volumes containers use, read from the containers' OCI bundles
 * (`<root>/containers/<id>/bundle/config.json`, written by src/runtime): a volume is in use while any
 * container (running or stopped, as Docker) bind-mounts a path inside `<root>/volumes/<name>/`.
 */
import { promises as fsp } from 'node:fs';
import { join, sep } from 'node:path';

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

/** Volume name → ids of the containers that mount it. */
export async function volumeUsers(root: string): Promise<Map<string, string[]>> {
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
      if (!src.startsWith(prefix)) continue;
      const name = src.slice(prefix.length).split(sep)[0];
      if (!name) continue;
      const list = users.get(name) ?? [];
      if (!list.includes(id)) list.push(id);
      users.set(name, list);
    }
  }
  return users;
}
