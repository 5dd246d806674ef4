/**
 * One service of the merged, interpolated, validated document -> model.ts's Service. The larger pieces
 * live in the neighbouring normalize-* modules; this file wires them and handles the simple keys.
 */
import type { Service } from './model.js';
import type { KeyPath } from './source.js';
import { normalizeBuild, normalizeDependsOn, normalizeDevelop, normalizePullPolicy } from './normalize-build.js';
import { normalizeHealthcheck } from './normalize-healthcheck.js';
import { normalizeExtraHosts, normalizeNetworkMode, normalizeServiceNetworks } from './normalize-networks.js';
import { normalizeExpose, normalizePorts } from './normalize-ports.js';
import { normalizeReplicas, normalizeResources, normalizeRestart, normalizeUpdateConfig } from './normalize-resources.js';
import { extensionsOf, isRaw, listOrDict, rawAt, scalarString, stringList, type Problems, type Raw } from './normalize-util.js';
import { normalizeServiceVolumes, normalizeTmpfs, type PathContext } from './normalize-volumes.js';
import { splitShellWords } from './parse-shell.js';
import { normalizeSignal } from './parse-signal.js';
import { parseBool, parseBytes, parseDuration, parseInteger } from './units.js';

export interface ServiceContext extends PathContext {
  projectName: string;
  env: Record<string, string | undefined>;
}

/** Upper case with the CAP_ prefix, as the kernel names them; "ALL" stays "ALL". */
export function normalizeCapability(c: string): string {
  const up = c.trim().toUpperCase();
  return up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
}

function command(v: unknown, path: KeyPath, p: Problems): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map(scalarString);
  return p.take(splitShellWords(scalarString(v)), path, v);
}

function bool(svc: Raw, key: string, path: KeyPath, p: Problems): boolean {
  const v = svc[key];
  if (v === undefined || v === null) return false;
  return p.take(parseBool(v), [...path, key], v) ?? false;
}

function ulimits(v: unknown, path: KeyPath, p: Problems): Service['ulimits'] {
  const out: Service['ulimits'] = {};
  for (const [name, lim] of Object.entries(rawAt(v))) {
    const at = [...path, name];
    if (isRaw(lim)) {
      const soft = p.take(parseInteger(lim['soft']), [...at, 'soft'], lim['soft']);
      const hard = p.take(parseInteger(lim['hard']), [...at, 'hard'], lim['hard']);
      if (soft === undefined || hard === undefined) continue;
      if (soft > hard) p.error(at, `soft limit ${soft} is above hard limit ${hard}`);
      out[name] = { soft, hard };
    } else {
      const n = p.take(parseInteger(lim), at, lim);
      if (n !== undefined) out[name] = { soft: n, hard: n };
    }
  }
  return out;
}

/**
 * Service keys normalizeService reads (all of their sub-keys too, unless unsupported.ts names one). With
 * unsupported.ts and LOADER_KEYS this accounts for every service key of the schema (a unit test checks it).
 */
export const SUPPORTED_SERVICE_KEYS = [
  'annotations', 'blkio_config', 'build', 'cap_add', 'cap_drop', 'command', 'container_name', 'cpu_period',
  'cpu_quota', 'cpu_shares', 'cpus', 'cpuset', 'depends_on', 'deploy', 'develop', 'dns', 'dns_opt', 'dns_search',
  'domainname', 'entrypoint', 'environment', 'expose', 'extra_hosts', 'group_add', 'healthcheck', 'hostname',
  'image', 'init', 'labels', 'logging', 'mem_limit', 'mem_reservation', 'mem_swappiness', 'memswap_limit',
  'network_mode', 'networks', 'oom_kill_disable', 'oom_score_adj', 'pids_limit', 'ports', 'privileged', 'profiles',
  'pull_policy', 'read_only', 'restart', 'scale', 'security_opt', 'shm_size', 'stdin_open', 'stop_grace_period',
  'stop_signal', 'sysctls', 'tmpfs', 'tty', 'ulimits', 'user', 'volumes', 'volumes_from', 'working_dir',
  'x-tscompose',
] as const;

/** Service keys the loader (area 1) resolves before normalization: extends, and env_file folded into environment. */
export const LOADER_KEYS = ['extends', 'env_file'] as const;

/** Keys that set the same model value; which were written is kept for `config` (Service.writtenKeys). */
export const TRACKED_KEYS = [
  'scale',
  'deploy.replicas',
  'restart',
  'deploy.restart_policy',
  'mem_limit',
  'deploy.resources.limits.memory',
  'cpus',
  'deploy.resources.limits.cpus',
  'pids_limit',
  'deploy.resources.limits.pids',
  'mem_reservation',
  'deploy.resources.reservations.memory',
  // defaults the model fills in, printed by `config` only when written (as docker compose config)
  'healthcheck.interval',
  'healthcheck.timeout',
  'healthcheck.retries',
  'healthcheck.start_period',
  'healthcheck.start_interval',
] as const;

function writtenKeys(svc: Raw): string[] {
  return TRACKED_KEYS.filter((dotted) => {
    let v: unknown = svc;
    for (const k of dotted.split('.')) v = isRaw(v) ? v[k] : undefined;
    return v !== undefined && v !== null;
  });
}

function optionalString(svc: Raw, key: string): string | undefined {
  const v = svc[key];
  return v === undefined || v === null ? undefined : scalarString(v);
}

export function normalizeService(name: string, raw: unknown, path: KeyPath, p: Problems, ctx: ServiceContext): Service {
  const svc = rawAt(raw);
  const deploy = rawAt(svc['deploy']);
  const networkMode = normalizeNetworkMode(svc, path, p);
  const replicas = normalizeReplicas(svc, path, p);
  const out: Service = {
    name,
    pullPolicy: normalizePullPolicy(svc['pull_policy'], [...path, 'pull_policy'], p),
    environment: listOrDict(svc['environment'], (k) => ctx.env[k]),
    labels: listOrDict(svc['labels'], () => ''),
    annotations: listOrDict(svc['annotations'], () => ''),
    init: bool(svc, 'init', path, p),
    tty: bool(svc, 'tty', path, p),
    stdinOpen: bool(svc, 'stdin_open', path, p),
    privileged: bool(svc, 'privileged', path, p),
    readOnly: bool(svc, 'read_only', path, p),
    capAdd: stringList(svc['cap_add']).map(normalizeCapability),
    capDrop: stringList(svc['cap_drop']).map(normalizeCapability),
    securityOpt: stringList(svc['security_opt']),
    groupAdd: stringList(svc['group_add']),
    stopGracePeriodMs: 10_000,
    ports: normalizePorts(svc['ports'], [...path, 'ports'], p),
    expose: normalizeExpose(svc['expose'], [...path, 'expose'], p),
    volumes: normalizeServiceVolumes(svc['volumes'], [...path, 'volumes'], p, ctx),
    volumesFrom: stringList(svc['volumes_from']),
    dependsOn: normalizeDependsOn(svc['depends_on'], [...path, 'depends_on'], p),
    replicas,
    restart: normalizeRestart(svc, path, p),
    resources: normalizeResources(svc, path, p),
    updateConfig: normalizeUpdateConfig(deploy['update_config'], [...path, 'deploy', 'update_config'], p),
    networkMode,
    networks: normalizeServiceNetworks(svc, networkMode, path, p),
    extraHosts: normalizeExtraHosts(svc['extra_hosts'], [...path, 'extra_hosts'], p),
    dns: stringList(svc['dns']),
    dnsSearch: stringList(svc['dns_search']),
    dnsOpt: stringList(svc['dns_opt']),
    sysctls: listOrDict(svc['sysctls'], () => ''),
    ulimits: ulimits(svc['ulimits'], [...path, 'ulimits'], p),
    tmpfs: normalizeTmpfs(svc['tmpfs'], [...path, 'tmpfs'], p),
    profiles: stringList(svc['profiles']),
    tscompose: { lb: rawAt(svc['x-tscompose'])['lb'] === 'least-connections' ? 'least-connections' : 'round-robin' },
    extensions: extensionsOf(svc, ['x-tscompose']),
    writtenKeys: writtenKeys(svc),
  };
  const build = normalizeBuild(svc['build'], ctx.env, ctx);
  if (build) out.build = build;
  const image = optionalString(svc, 'image');
  if (image !== undefined && image !== '') out.image = image;
  else if (build) out.image = `${ctx.projectName}-${name}`;
  const cmd = command(svc['command'], [...path, 'command'], p);
  if (cmd) out.command = cmd;
  const entrypoint = command(svc['entrypoint'], [...path, 'entrypoint'], p);
  if (entrypoint) out.entrypoint = entrypoint;
  for (const [key, field] of [
    ['container_name', 'containerName'],
    ['hostname', 'hostname'],
    ['domainname', 'domainname'],
    ['user', 'user'],
    ['working_dir', 'workingDir'],
  ] as const) {
    const v = optionalString(svc, key);
    if (v !== undefined) out[field] = v;
  }
  if (typeof svc['stop_signal'] === 'string') {
    const sig = p.take(normalizeSignal(svc['stop_signal']), [...path, 'stop_signal'], svc['stop_signal']);
    if (sig) out.stopSignal = sig;
  }
  if (svc['stop_grace_period'] !== undefined && svc['stop_grace_period'] !== null) {
    const g = svc['stop_grace_period'];
    out.stopGracePeriodMs = p.take(parseDuration(g), [...path, 'stop_grace_period'], g) ?? 10_000;
  }
  const health = normalizeHealthcheck(svc['healthcheck'], [...path, 'healthcheck'], p);
  if (health) out.healthcheck = health;
  if (deploy['rollback_config'] !== undefined) {
    out.rollbackConfig = normalizeUpdateConfig(deploy['rollback_config'], [...path, 'deploy', 'rollback_config'], p);
  }
  if (svc['shm_size'] !== undefined && svc['shm_size'] !== null) {
    const shm = p.take(parseBytes(svc['shm_size']), [...path, 'shm_size'], svc['shm_size']);
    if (shm !== undefined) out.shmSizeBytes = shm;
  }
  if (isRaw(svc['logging'])) {
    const log = svc['logging'];
    out.logging = { options: listOrDict(log['options'], () => '') };
    if (typeof log['driver'] === 'string') out.logging.driver = log['driver'];
  }
  const develop = normalizeDevelop(svc['develop'], [...path, 'develop'], p, ctx);
  if (develop) out.develop = develop;
  return out;
}
