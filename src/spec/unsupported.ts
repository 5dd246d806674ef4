/**
 * Compose keys that are valid but that tscompose does not act on (yet). They load, and each occurrence gives
 * a located warning naming the key, so nothing in a user's file is silently ignored.
 *
 * A pattern is a key path where "*" matches any service/network name or list index. `when` narrows a pattern
 * to values that are unsupported (e.g. `deploy.mode: global` is, `deploy.mode: replicated` is not).
 */
import type { KeyPath, SourceDoc, SpecProblem } from './source.js';

interface UnsupportedKey {
  path: readonly string[];
  why?: string;
  when?: (value: unknown) => boolean;
}

const svc = (...rest: string[]): string[] => ['services', '*', ...rest];

export const UNSUPPORTED_KEYS: readonly UnsupportedKey[] = [
  { path: ['secrets'] },
  { path: ['configs'] },
  { path: ['models'] },
  ...[
    'secrets',
    'configs',
    'models',
    'devices',
    'device_cgroup_rules',
    'gpus',
    'cgroup',
    'cgroup_parent',
    'cpu_count',
    'cpu_percent',
    'cpu_rt_period',
    'cpu_rt_runtime',
    'credential_spec',
    'external_links',
    'ipc',
    'isolation',
    'pid',
    'platform',
    'runtime',
    'storage_opt',
    'userns_mode',
    'uts',
    'mac_address',
    'label_file',
    'post_start',
    'pre_stop',
    'provider',
    'use_api_socket',
    'pull_refresh_after',
  ].map((k) => ({ path: svc(k) })),
  { path: svc('links'), why: 'services reach each other by service name on their networks' },
  { path: svc('deploy', 'placement') },
  { path: svc('deploy', 'labels'), why: 'swarm service labels; use labels' },
  { path: svc('deploy', 'endpoint_mode') },
  { path: svc('deploy', 'mode'), when: (v) => v !== 'replicated', why: 'only "replicated" is supported' },
  { path: svc('deploy', 'resources', 'reservations', 'devices') },
  { path: svc('deploy', 'resources', 'reservations', 'generic_resources') },
  ...[
    'ssh',
    'secrets',
    'cache_from',
    'cache_to',
    'platforms',
    'tags',
    'additional_contexts',
    'entitlements',
    'privileged',
    'isolation',
    'provenance',
    'sbom',
    'ulimits',
    'extra_hosts',
    'network',
    'shm_size',
    'no_cache',
    'pull',
  ].map((k) => ({ path: svc('build', k) })),
  ...['link_local_ips', 'interface_name', 'driver_opts', 'gw_priority'].map((k) => ({ path: svc('networks', '*', k) })),
  { path: svc('volumes', '*', 'consistency') },
  { path: svc('volumes', '*', 'bind', 'recursive') },
  { path: svc('volumes', '*', 'volume', 'labels') },
  { path: svc('volumes', '*', 'image') },
  {
    path: svc('volumes', '*', 'type'),
    when: (v) => v === 'cluster' || v === 'npipe' || v === 'image',
    why: 'the mount is left out',
  },
  { path: ['networks', '*', 'ipam', 'options'] },
  { path: ['networks', '*', 'enable_ipv4'] },
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function visit(value: unknown, pattern: readonly string[], at: KeyPath, out: (path: KeyPath, v: unknown) => void): void {
  if (pattern.length === 0) {
    out(at, value);
    return;
  }
  const [head, ...rest] = pattern as [string, ...string[]];
  if (head === '*') {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, rest, [...at, i], out));
    else if (isRecord(value)) for (const [k, v] of Object.entries(value)) visit(v, rest, [...at, k], out);
  } else if (isRecord(value) && Object.prototype.hasOwnProperty.call(value, head)) {
    visit(value[head], rest, [...at, head], out);
  }
}

/** One warning per unsupported key present in the document. */
export function unsupportedWarnings(doc: SourceDoc): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const rule of UNSUPPORTED_KEYS) {
    visit(doc.data, rule.path, [], (path, value) => {
      if (rule.when && !rule.when(value)) return;
      const key = String(path[path.length - 1]);
      const shown = rule.when ? `"${key}: ${String(value)}"` : `"${key}"`;
      out.push({
        severity: 'warning',
        position: doc.keyPositionOf(path),
        path,
        message: `${shown} is valid Compose but not supported by tscompose yet; it is ignored${rule.why ? ` (${rule.why})` : ''}`,
      });
    });
  }
  return out;
}
