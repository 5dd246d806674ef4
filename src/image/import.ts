/**
 * `image import ROOTFS.tar NAME:TAG` (like `docker import`): the tarball (plain, gzip or zstd) becomes the
 * single layer of a new image whose config has defaults only (PATH in Env) unless `changes` says more.
 * FILE `-` reads the tarball from standard input.
 */
import { createReadStream } from 'node:fs';
import type { ImageRuntimeConfig, LocalImage } from './api.js';
import { hostArchitecture } from './config.js';
import { normalizeReference } from './reference.js';
import { requireFile } from './store-fs.js';
import type { ImageStore } from './store.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImportOptions {
  /** Image config values to set (Docker's `--change`, as data). */
  changes?: Partial<ImageRuntimeConfig>;
  /** The history entry's comment (`docker import -m`). */
  message?: string;
}

/** The OCI config JSON object (Docker-cased keys) for a runtime config. */
export function configObject(c: Partial<ImageRuntimeConfig>): Record<string, unknown> {
  const o: Record<string, unknown> = { Env: c.env ?? [DEFAULT_PATH] };
  if (c.entrypoint) o.Entrypoint = c.entrypoint;
  if (c.cmd) o.Cmd = c.cmd;
  if (c.workingDir) o.WorkingDir = c.workingDir;
  if (c.user) o.User = c.user;
  if (c.stopSignal) o.StopSignal = c.stopSignal;
  if (c.exposedPorts?.length) o.ExposedPorts = Object.fromEntries(c.exposedPorts.map((p) => [p, {}]));
  if (c.volumes?.length) o.Volumes = Object.fromEntries(c.volumes.map((p) => [p, {}]));
  if (c.labels && Object.keys(c.labels).length) o.Labels = c.labels;
  if (c.healthcheck) {
    const h = c.healthcheck;
    o.Healthcheck = { Test: h.test, Interval: h.intervalNs, Timeout: h.timeoutNs, StartPeriod: h.startPeriodNs, StartInterval: h.startIntervalNs, Retries: h.retries };
  }
  return o;
}

export async function importRootfs(store: ImageStore, file: string, ref: string | undefined, opts: ImportOptions = {}): Promise<LocalImage> {
  const canon = ref === undefined ? undefined : normalizeReference(ref);
  if (file !== '-') requireFile(file);
  const layer = await store.installLayer(() => (file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 })));
  const created = new Date().toISOString();
  const { architecture, variant } = hostArchitecture();
  const cfg = {
    architecture,
    ...(variant && architecture === 'arm' ? { variant } : {}),
    os: 'linux',
    created,
    config: configObject(opts.changes ?? {}),
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: 'tscompose image import', ...(opts.message ? { comment: opts.message } : {}) }],
  };
  const { parseImageConfig } = await import('./config.js');
  const raw = Buffer.from(JSON.stringify(cfg));
  const parsed = parseImageConfig(raw);
  const id = store.putBlob(raw);
  const rec = { id, diffIds: parsed.diffIds, os: parsed.os, architecture: parsed.architecture, created, config: parsed.runtime };
  return store.saveImage(rec, canon ? [canon] : []);
}
