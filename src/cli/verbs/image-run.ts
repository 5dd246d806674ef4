/**
 * The work behind `pull`, `images` and `image …` (imported lazily by those verbs). Output formatting only:
 * the store (src/image) does the work and reports progress events, rendered here as Compose does.
 */
import type { Command } from 'commander';
import { TscError, isTscError } from '../../errors.js';
import type { ProgressEvent } from '../../api.js';
import type { LocalImage, PullProgress } from '../../image/api.js';
import type { Project } from '../../spec/model.js';
import { ImageStore } from '../../image/store.js';
import { familiarName, normalizeReference, parseReference } from '../../image/reference.js';
import { withProgress } from '../progress.js';
import { loadProjectFor, progressMode } from '../project-ref.js';
import { humanSize as humanSizeDigits } from '../human-size.js';

const out = (s: string): void => void process.stdout.write(`${s}\n`);

/** Image sizes as `docker images` prints them (3 significant digits). */
export const humanSize = (bytes: number): string => humanSizeDigits(bytes, 3);

/** "docker.io/library/busybox:1" → "busybox:1" */
export function familiar(ref: string): string {
  const r = parseReference(ref);
  return `${familiarName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** Progress events of one image pull, as Compose resources ("Image busybox", "Layer 1a2b3c4d5e6f"). */
function progressAdapter(ref: string, on: (e: ProgressEvent) => void): (p: PullProgress) => void {
  const seen = new Map<string, string>();
  const name = familiar(ref);
  return (p) => {
    const key = p.layer ?? '';
    const done = p.phase === 'done' || p.phase === 'exists';
    if (!done && seen.has(key)) return; // one line per phase change, not per megabyte
    seen.set(key, p.phase);
    const resource = p.layer ? `Layer ${p.layer.slice(7, 19)}` : `Image ${name}`;
    const detail = p.layer && p.totalBytes !== undefined ? humanSize(p.totalBytes) : undefined;
    on({ type: 'resource', resource, status: done ? 'Pulled' : 'Pulling', done, ...(p.phase === 'exists' ? { detail: 'already exists' } : detail ? { detail } : {}) });
  };
}

/** `optional`: images of buildable services, whose pull failure is only reported (Compose does the same). */
async function pullAll(refs: string[], policy: 'always' | 'missing', mode: string, ignoreFailures: boolean, optional = new Set<string>(), store = new ImageStore(), skipped: string[] = []): Promise<void> {
  await withProgress(mode, 'Pulling', async (on) => {
    // as Compose: `✔ app Skipped - No image to be pulled`
    for (const s of skipped) on({ type: 'resource', resource: s, status: 'Skipped - No image to be pulled', done: true });
    const results = await Promise.allSettled(refs.map((ref) => store.ensure(ref, policy, progressAdapter(ref, on))));
    let first: unknown;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      if (!optional.has(refs[i]!)) first ??= r.reason;
      const msg = r.reason instanceof Error ? r.reason.message : String(r.reason);
      on({ type: 'resource', resource: `Image ${familiar(refs[i]!)}`, status: 'Error', detail: msg, done: true });
    });
    if (first !== undefined && !ignoreFailures) throw first;
  });
}

/** The named services plus, with `deps`, everything they depend on (transitively). */
export function servicesToPull(project: Project, services: string[], deps: boolean): string[] {
  const names = new Set(services.length > 0 ? services : Object.keys(project.services));
  for (const n of names) {
    const svc = project.services[n];
    if (!svc) throw new TscError('USAGE', `no such service: ${n}`);
    if (deps) for (const d of Object.keys(svc.dependsOn)) names.add(d); // a Set iterates what is added
  }
  return [...names].filter((n) => project.services[n]).sort();
}

export async function pullServices(
  cmd: Command, services: string[],
  flags: { quiet?: boolean; policy: string; ignorePullFailures?: boolean; ignoreBuildable?: boolean; includeDeps?: boolean },
): Promise<void> {
  if (flags.policy !== 'always' && flags.policy !== 'missing') throw new TscError('USAGE', `invalid --policy ${JSON.stringify(flags.policy)} (want "missing" or "always")`);
  const project = await loadProjectFor(cmd, services);
  const refs = new Set<string>();
  const buildable = new Set<string>();
  const required = new Set<string>();
  const skipped: string[] = [];
  for (const n of servicesToPull(project, services, flags.includeDeps === true)) {
    const svc = project.services[n]!;
    // a build-only service (its image named after project and service) has no image to pull, as Compose
    const buildOnly = svc.build !== undefined && svc.image === `${project.name}-${n}`;
    if (buildOnly) skipped.push(n);
    if (svc.pullPolicy === 'never' || svc.pullPolicy === 'build' || !svc.image || buildOnly) continue;
    if (svc.build && flags.ignoreBuildable) continue;
    refs.add(svc.image);
    (svc.build ? buildable : required).add(svc.image);
  }
  const optional = new Set([...buildable].filter((r) => !required.has(r)));
  await pullAll([...refs], flags.policy, flags.quiet ? 'quiet' : progressMode(cmd), flags.ignorePullFailures === true, optional, undefined, skipped);
}

/** As `docker image pull`: progress, then Digest/Status lines and the canonical reference (-q: only that). */
export async function imagePull(cmd: Command, ref: string, flags: { quiet?: boolean }): Promise<void> {
  const store = new ImageStore();
  const canon = normalizeReference(ref);
  const before = store.resolveId(canon);
  await pullAll([ref], 'always', flags.quiet ? 'quiet' : progressMode(cmd), false, new Set(), store);
  const img = await store.get(ref);
  if (img && !flags.quiet) {
    const fetched = img.id !== before;
    out(`Digest: ${img.manifestDigest ?? img.id}`);
    out(fetched ? `Status: Downloaded newer image for ${familiar(canon)}` : `Status: Image is up to date for ${familiar(canon)}`);
  }
  out(canon);
}

interface Row {
  Repository: string;
  Tag: string;
  ID: string;
  Size: number;
  Created: string;
  CreatedSince: string;
  Digest: string;
}

/** docker/go-units HumanDuration, as `docker images` prints CREATED ("3 weeks ago"). */
export function createdSince(created: string | undefined, now = Date.now()): string {
  const t = created ? Date.parse(created) : NaN;
  if (!Number.isFinite(t)) return 'N/A';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return plural(s, 'second');
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute ago';
  if (m < 60) return plural(m, 'minute');
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour ago';
  if (h < 48) return plural(h, 'hour');
  if (h < 24 * 7 * 2) return plural(Math.floor(h / 24), 'day');
  if (h < 24 * 30 * 2) return plural(Math.floor(h / 24 / 7), 'week');
  if (h < 24 * 365 * 2) return plural(Math.floor(h / 24 / 30), 'month');
  return plural(Math.floor(h / 24 / 365), 'year');
}

function rows(images: LocalImage[]): Row[] {
  const out: Row[] = [];
  for (const img of images) {
    const base = { ID: img.id, Size: img.sizeBytes, Created: img.created ?? '', CreatedSince: createdSince(img.created), Digest: img.manifestDigest ?? '' };
    const tags = img.references.filter((r) => !r.includes('@'));
    const digests = img.references.filter((r) => r.includes('@'));
    for (const t of tags) {
      const r = parseReference(t);
      out.push({ Repository: familiarName(r), Tag: r.tag ?? '<none>', ...base });
    }
    if (tags.length === 0) {
      const r = digests[0] ? parseReference(digests[0]) : undefined;
      out.push({ Repository: r ? familiarName(r) : '<none>', Tag: '<none>', ...base });
    }
  }
  return out.sort((a, b) => a.Repository.localeCompare(b.Repository) || a.Tag.localeCompare(b.Tag));
}

export function formatTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('');
  return [line(header), ...body.map(line)].join('\n');
}

/** Ids of the local images the named services use (their `image:`, or the name `up` gives a built one). */
export async function serviceImageIds(cmd: Command, services: string[]): Promise<Set<string>> {
  const project = await loadProjectFor(cmd, services);
  const store = new ImageStore();
  const ids = new Set<string>();
  for (const n of services) {
    const svc = project.services[n];
    if (!svc) throw new TscError('USAGE', `no such service: ${n}`);
    const id = store.resolveId(svc.image ?? `${project.name}-${svc.name}`);
    if (id) ids.add(id);
  }
  return ids;
}

export async function listImages(flags: { format: string; quiet?: boolean }, only?: Set<string>): Promise<void> {
  const images = (await new ImageStore().list()).filter((i) => !only || only.has(i.id));
  if (flags.quiet) {
    for (const id of new Set(images.map((i) => i.id.slice(7, 19)))) out(id);
    return;
  }
  const rs = rows(images);
  if (flags.format === 'json') {
    out(JSON.stringify(rs, null, 2));
    return;
  }
  if (flags.format !== 'table') throw new TscError('USAGE', `unknown --format ${JSON.stringify(flags.format)} (table or json)`);
  out(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rs.map((r) => [r.Repository, r.Tag, r.ID.slice(7, 19), r.CreatedSince, humanSize(r.Size)])));
}

export async function imageLoad(flags: { input?: string; quiet?: boolean }): Promise<void> {
  const { loadArchive } = await import('../../image/load.js');
  if (flags.input === undefined && process.stdin.isTTY) throw new TscError('USAGE', 'requested load from stdin, but stdin is empty (use -i FILE)');
  const images = await loadArchive(new ImageStore(), flags.input ?? '-');
  if (flags.quiet) return;
  for (const img of images) {
    const tags = img.references.filter((r) => !r.includes('@'));
    if (tags.length === 0) out(`Loaded image ID: ${img.id}`);
    for (const t of tags) out(`Loaded image: ${familiar(t)}`);
  }
}

export async function imageImport(file: string, ref: string | undefined, flags: { change?: string[]; message?: string } = {}): Promise<void> {
  const { importRootfs } = await import('../../image/import.js');
  const { applyChanges } = await import('../../image/changes.js');
  const changes = applyChanges({}, flags.change ?? []); // a bad --change fails before any work
  if (file === '-' && process.stdin.isTTY) throw new TscError('USAGE', 'image import -: stdin is a terminal, not a tarball');
  const img = await importRootfs(new ImageStore(), file, ref, { changes, ...(flags.message ? { message: flags.message } : {}) });
  out(img.id);
}

/** As `docker image rm`: every reference is tried; the errors are reported together at the end. */
export async function imageRm(refs: string[], flags: { force?: boolean }): Promise<void> {
  const { removeImage } = await import('../../image/admin.js');
  const store = new ImageStore();
  const errors: TscError[] = [];
  for (const ref of refs) {
    try {
      const r = await removeImage(store, ref, { force: flags.force === true });
      for (const u of r.untagged) out(`Untagged: ${familiar(u)}`);
      if (r.deleted) out(`Deleted: ${r.deleted}`);
    } catch (e) {
      if (flags.force && isTscError(e) && e.code === 'NOT_FOUND') continue;
      if (!isTscError(e)) throw e;
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new TscError(errors[0]!.code, errors.map((e) => e.message).join('\n'));
}

/** As `docker image prune`: dangling images (all unused with -a), then their layers. */
export async function imagePrune(flags: { all?: boolean } = {}): Promise<void> {
  const { pruneImages } = await import('../../image/admin.js');
  const r = await pruneImages(new ImageStore(), { all: flags.all === true });
  const lines = [...r.untagged.map((u) => `untagged: ${familiar(u)}`), ...[...r.deleted, ...r.layersRemoved].map((d) => `deleted: ${d}`)];
  if (lines.length > 0) out(['Deleted Images:', ...lines, ''].join('\n'));
  out(`Total reclaimed space: ${humanSize(r.bytesReclaimed)}`);
}

/** As `docker image inspect`: a JSON array with Docker's field names; a missing image fails after the others print. */
export async function imageInspect(refs: string[]): Promise<void> {
  const { configObject } = await import('../../image/import.js');
  const store = new ImageStore();
  const found: unknown[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    const img = await store.get(ref);
    const rec = img && store.record(img.id);
    if (!img || !rec) {
      missing.push(ref);
      continue;
    }
    found.push({
      Id: img.id,
      RepoTags: img.references.filter((r) => !r.includes('@')).map(familiar),
      RepoDigests: img.references.filter((r) => r.includes('@')).map(familiar),
      Created: img.created ?? '',
      Architecture: img.architecture,
      Os: img.os,
      Size: img.sizeBytes,
      Config: configObject(img.config),
      RootFS: { Type: 'layers', Layers: rec.diffIds },
    });
  }
  out(JSON.stringify(found, null, 4));
  if (missing.length > 0) throw new TscError('NOT_FOUND', missing.map((r) => `no such image: ${r}`).join('\n'));
}
