/**
 * Compose keys that are valid but that tscompose does not act on (yet). They load, and each occurrence gives
 * a located warning naming the key, so nothing in a user's file is silently ignored.
 *
 * A pattern is a key path where "*" matches any service/network name or list index. `when` narrows a pattern
 * to values that are unsupported (e.g. `deploy.mode: global` is, `deploy.mode: replicated` is not).
 */
import type { SourceDoc, SpecProblem } from './source.js';

interface UnsupportedKey {
  path: readonly string[];
  why?: string;
  /** Replaces the whole "... it is ignored" message when part of the key is honoured. */
  message?: string;
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
  { path: svc('attach'), why: 'logs of every service are attached' },
  { path: svc('blkio_config', 'weight_device') },
  {
    path: svc('links'),
    message:
      '"links" is valid Compose but tscompose makes no link aliases; only the start order it implies is kept (services reach each other by service name on their networks)',
  },
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

interface TrieNode {
  children: Map<string, TrieNode>;
  rule?: UnsupportedKey;
}

/** The patterns as a trie, so that one walk visits only the parts of the document some pattern names. */
function buildTrie(): TrieNode {
  const root: TrieNode = { children: new Map() };
  for (const rule of UNSUPPORTED_KEYS) {
    let node = root;
    for (const k of rule.path) {
      let next = node.children.get(k);
      if (!next) node.children.set(k, (next = { children: new Map() }));
      node = next;
    }
    node.rule = rule;
  }
  return root;
}

let trie: TrieNode | undefined;

function walk(value: unknown, node: TrieNode, path: (string | number)[], doc: SourceDoc, out: SpecProblem[]): void {
  const rule = node.rule;
  if (rule && (!rule.when || rule.when(value))) {
    const key = String(path[path.length - 1]);
    const shown = rule.when ? `"${key}: ${String(value)}"` : `"${key}"`;
    out.push({
      severity: 'warning',
      position: doc.keyPositionOf([...path]),
      path: [...path],
      message: rule.message ?? `${shown} is valid Compose but not supported by tscompose yet; it is ignored${rule.why ? ` (${rule.why})` : ''}`,
    });
  }
  if (node.children.size === 0 || typeof value !== 'object' || value === null) return;
  const star = node.children.get('*');
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries) {
    const child = typeof k === 'string' ? node.children.get(k) : undefined;
    path.push(k);
    if (child) walk(v, child, path, doc, out);
    if (star) walk(v, star, path, doc, out);
    path.pop();
  }
}

/** One warning per unsupported key present in the document. */
export function unsupportedWarnings(doc: SourceDoc): SpecProblem[] {
  const out: SpecProblem[] = [];
  trie ??= buildTrie();
  walk(doc.data, trie, [], doc, out);
  return out;
}
