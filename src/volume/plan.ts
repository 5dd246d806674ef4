/**
 * Mount planning, pure: which mounts a container of a service gets, before any I/O.
 *
 * Docker's order of precedence, per container path (target):
 *   1. the service's own `volumes:` and `tmpfs:` (two of them on one target is a spec error,
 *      "duplicate mount point"),
 *   2. `volumes_from` mounts for targets the service does not mount itself,
 *   3. the image's VOLUMEs not covered by any of the above, each an anonymous volume.
 * Anonymous volumes are named by a stable hash of (project, service, replica number, target), so a
 * recreated container gets the same one back (Compose keeps anonymous volumes across recreate).
 * The result is sorted by path depth (parents mounted before their children), stable otherwise.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { TscError } from '../errors.js';
import type { Project, Service, ServiceMount } from '../spec/model.js';

export type MountIntent =
  | {
      kind: 'volume';
      target: string;
      readOnly: boolean;
      /** Host-side volume name. */
      name: string;
      /** Key in project.volumes; undefined for anonymous volumes. */
      key?: string;
      nocopy: boolean;
      subpath?: string;
    }
  | { kind: 'bind'; target: string; readOnly: boolean; source: string; createHostPath: boolean; propagation?: string }
  | { kind: 'tmpfs'; target: string; readOnly: boolean; options: string[] }
  /** Every bind/volume mount of another container (`volumes_from: [container:NAME]`), resolved later. */
  | { kind: 'from-container'; container: string; mode?: 'ro' | 'rw' };

export interface VolumesFromEntry {
  kind: 'service' | 'container';
  name: string;
  mode?: 'ro' | 'rw';
}

/** "svc", "svc:ro", "container:name", "container:name:rw". */
export function parseVolumesFrom(entry: string): VolumesFromEntry {
  const parts = entry.split(':');
  let kind: 'service' | 'container' = 'service';
  if (parts[0] === 'container' && parts.length >= 2) {
    kind = 'container';
    parts.shift();
  } else if (parts[0] === 'service' && parts.length >= 2) {
    parts.shift();
  }
  const last = parts[parts.length - 1];
  let mode: 'ro' | 'rw' | undefined;
  if (parts.length >= 2 && (last === 'ro' || last === 'rw')) {
    mode = last;
    parts.pop();
  }
  const name = parts.join(':');
  if (name === '') throw new TscError('SPEC_INVALID', `invalid volumes_from entry "${entry}"`);
  return mode === undefined ? { kind, name } : { kind, name, mode };
}

export function normalizeTarget(target: string, where: string): string {
  if (!target.startsWith('/')) throw new TscError('SPEC_INVALID', `${where}: mount path "${target}" must be absolute`);
  const t = posix.normalize(target).replace(/\/+$/, '');
  if (t === '') throw new TscError('SPEC_INVALID', `${where}: invalid mount config: destination can't be '/'`);
  return t;
}

/** Stable 64-hex name of an anonymous volume (looks like Docker's random ones). */
export function anonymousVolumeName(project: string, service: string, number: number, target: string): string {
  return createHash('sha256').update(`${project}\0${service}\0${number}\0${target}`).digest('hex');
}

export function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

export function tmpfsOptions(sizeBytes: number | undefined, mode: number | undefined, extra: readonly string[] = []): string[] {
  const out = [...extra];
  if (sizeBytes !== undefined) out.push(`size=${sizeBytes}`);
  if (mode !== undefined) out.push(`mode=${mode.toString(8).padStart(4, '0')}`);
  return out;
}

function ownIntent(project: Project, service: Service, number: number, m: ServiceMount, target: string): MountIntent {
  const where = `service "${service.name}"`;
  switch (m.type) {
    case 'bind':
      return {
        kind: 'bind',
        target,
        readOnly: m.readOnly,
        source: m.source,
        createHostPath: m.createHostPath,
        ...(m.propagation ? { propagation: m.propagation } : {}),
      };
    case 'tmpfs':
      return { kind: 'tmpfs', target, readOnly: m.readOnly, options: tmpfsOptions(m.sizeBytes, m.mode) };
    case 'volume': {
      if (m.source === undefined) {
        return { kind: 'volume', target, readOnly: m.readOnly, name: anonymousVolumeName(project.name, service.name, number, target), nocopy: m.nocopy };
      }
      const vol = project.volumes[m.source];
      if (!vol) throw new TscError('SPEC_INVALID', `${where} refers to undefined volume ${m.source}: invalid compose project`);
      return {
        kind: 'volume',
        target,
        readOnly: m.readOnly,
        name: vol.name,
        key: m.source,
        nocopy: m.nocopy,
        ...(m.subpath !== undefined ? { subpath: m.subpath } : {}),
      };
    }
  }
}

/**
 * The mounts of replica `number` of `service`. `imageVolumes` = the image's VOLUME paths.
 * `volumes_from: service` entries are expanded from that service's own plan (replica 1).
 */
export function planMounts(project: Project, service: Service, number: number, imageVolumes: readonly string[], seen: readonly string[] = []): MountIntent[] {
  const where = `service "${service.name}"`;
  const own: MountIntent[] = [];
  const taken = new Set<string>();
  const add = (target: string, make: (t: string) => MountIntent): void => {
    const t = normalizeTarget(target, where);
    if (taken.has(t)) throw new TscError('SPEC_INVALID', `${where}: duplicate mount point: ${t}`);
    taken.add(t);
    own.push(make(t));
  };
  for (const m of service.volumes) add(m.target, (t) => ownIntent(project, service, number, m, t));
  for (const t of service.tmpfs) add(t.target, (n) => ({ kind: 'tmpfs', target: n, readOnly: false, options: tmpfsOptions(t.sizeBytes, t.mode, t.options) }));

  const inherited: MountIntent[] = [];
  const containers: MountIntent[] = [];
  for (const entry of service.volumesFrom) {
    const vf = parseVolumesFrom(entry);
    if (vf.kind === 'container') {
      containers.push(vf.mode ? { kind: 'from-container', container: vf.name, mode: vf.mode } : { kind: 'from-container', container: vf.name });
      continue;
    }
    const other = project.services[vf.name];
    if (!other) throw new TscError('SPEC_INVALID', `${where}: volumes_from refers to unknown service "${vf.name}"`);
    if (seen.includes(vf.name) || vf.name === service.name) {
      throw new TscError('SPEC_INVALID', `${where}: volumes_from cycle through service "${vf.name}"`);
    }
    // The other service's image volumes are not known here; its declared mounts are.
    for (const m of planMounts(project, other, 1, [], [...seen, service.name])) {
      if (m.kind === 'tmpfs' || m.kind === 'from-container') continue;
      if (taken.has(m.target)) continue;
      taken.add(m.target);
      inherited.push(vf.mode ? { ...m, readOnly: vf.mode === 'ro' } : m);
    }
  }

  const fromImage: MountIntent[] = [];
  for (const v of imageVolumes) {
    let t: string;
    try {
      t = normalizeTarget(v, 'image VOLUME');
    } catch {
      continue; // a relative or root VOLUME in an image config is ignored, never mounted outside
    }
    if (taken.has(t)) continue;
    taken.add(t);
    fromImage.push({ kind: 'volume', target: t, readOnly: false, name: anonymousVolumeName(project.name, service.name, number, t), nocopy: false });
  }
  const all = [...own, ...inherited, ...fromImage];
  const sorted = all
    .map((m, i) => ({ m, i }))
    .sort((a, b) => targetDepth(a.m) - targetDepth(b.m) || a.i - b.i)
    .map((x) => x.m);
  return [...containers, ...sorted];
}

function targetDepth(m: MountIntent): number {
  return m.kind === 'from-container' ? 0 : depth(m.target);
}
