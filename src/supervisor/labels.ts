/**
 * Compose's container labels, and the translation from the runtime's container records to the
 * controller's observed snapshot.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerInfo } from '../runtime/api.js';
import type { ObservedContainer } from '../controller/plan.js';

export const L_PROJECT = 'com.docker.compose.project';
export const L_SERVICE = 'com.docker.compose.service';
export const L_NUMBER = 'com.docker.compose.container-number';
export const L_HASH = 'com.docker.compose.config-hash';
export const L_ONEOFF = 'com.docker.compose.oneoff';
export const L_IMAGE = 'com.docker.compose.image';
export const L_WORKDIR = 'com.docker.compose.project.working_dir';
export const L_FILES = 'com.docker.compose.project.config_files';
export const L_VERSION = 'com.docker.compose.version';
export const L_IMAGE_REF = 'org.tscompose.image-ref';
/** Restarts of this slot by policy before this container (Docker's RestartCount). */
export const L_RESTARTS = 'org.tscompose.restart-count';
/** The effective command (entrypoint + cmd) as JSON, for `ps`. */
export const L_COMMAND = 'org.tscompose.command';
/** Published ports as "IP:PUBLISHED->TARGET/PROTO" joined by ",", for `ps`. */
export const L_PORTS = 'org.tscompose.ports';

/** A fresh runtime id for a container name: lower-case [a-z0-9-], ≤ 64 chars, unique per container. */
export function newContainerId(name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'c';
  return `${base}-${randomBytes(4).toString('hex')}`;
}

const ms = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
};

/** True for containers of services (one-off `run` containers are not the controller's). */
export function isServiceContainer(c: ContainerInfo): boolean {
  return c.labels[L_ONEOFF] !== 'True';
}

export function toObserved(c: ContainerInfo, noRestart: ReadonlySet<string>): ObservedContainer {
  const number = Number.parseInt(c.labels[L_NUMBER] ?? String(c.number), 10);
  const o: ObservedContainer = {
    id: c.id,
    name: c.name,
    service: c.labels[L_SERVICE] ?? c.service,
    number: Number.isFinite(number) ? number : c.number,
    hash: c.labels[L_HASH] ?? '',
    status: c.status,
    noRestart: noRestart.has(c.id),
  };
  const img = c.labels[L_IMAGE];
  if (img) o.imageId = img;
  const started = ms(c.startedAt);
  if (started !== undefined) o.startedAtMs = started;
  const created = ms(c.createdAt);
  if (created !== undefined) o.createdAtMs = created;
  if (c.status === 'stopped') {
    const finished = ms(c.exit?.finishedAt) ?? Date.now();
    o.exit = { exitCode: c.exit?.exitCode ?? 0, oomKilled: c.exit?.oomKilled ?? false, finishedAtMs: finished };
    if (started !== undefined) o.exit.startedAtMs = started;
  }
  return o;
}
