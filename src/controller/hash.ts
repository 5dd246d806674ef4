/**
 * Drift detection as Docker Compose does it: a hash of the service's normalized config, leaving out what
 * must not force a recreate (replicas, depends_on, build, profiles, develop). Stored on every container as
 * the `com.docker.compose.config-hash` label; a container whose label differs from the service's current
 * hash is recreated.
 */
import { createHash } from 'node:crypto';
import type { Service } from '../spec/model.js';

/** Keys of Service that never force a recreate. */
// writtenKeys only records which spelling (scale vs deploy.replicas, ...) the file used, for `config` output.
const IGNORED: ReadonlySet<string> = new Set(['replicas', 'dependsOn', 'build', 'profiles', 'develop', 'pullPolicy', 'writtenKeys']);

/** JSON with object keys sorted at every level, so equal configs give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** sha256 (hex) of the service config without the keys in IGNORED. */
export function configHash(service: Service): string {
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(service)) if (!IGNORED.has(k)) kept[k] = v;
  return createHash('sha256').update(canonicalJson(kept)).digest('hex');
}
