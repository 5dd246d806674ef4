/**
 * Resource limits, replicas, restart policy and update config of a service.
 *
 * As Compose: `deploy.resources.limits.{memory,cpus,pids}` and `reservations.{memory,cpus}` win over
 * `mem_limit`, `cpus`, `pids_limit`, `mem_reservation`; both set with different values is an error ("can't
 * set distinct values"). The same holds for `scale` and `deploy.replicas`. `deploy.restart_policy` wins over
 * `restart` (its condition `any` is `always`, `none` is `no`).
 */
import type { DeviceRate, Resources, RestartPolicy, UpdateConfig } from './model.js';
import type { KeyPath } from './source.js';
import { rawAt, type Problems, type Raw } from './normalize-util.js';
import { parseBool, parseBytes, parseDuration, parseInteger, parseNumber, type Parsed } from './units.js';

type Parser = (v: unknown) => Parsed<number>;

function num(raw: Raw, key: string, path: KeyPath, p: Problems, parse: Parser): number | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  return p.take(parse(v), [...path, key], v);
}

/** The legacy key's value unless the deploy key is set; distinct values of both are an error (located at the deploy key). */
function pick(
  legacy: number | undefined,
  deploy: number | undefined,
  names: [string, string],
  path: KeyPath,
  p: Problems,
): number | undefined {
  if (legacy !== undefined && deploy !== undefined && legacy !== deploy) {
    p.error(path, `can't set distinct values on '${names[0]}' and '${names[1]}' (${legacy} and ${deploy})`);
  }
  return deploy ?? legacy;
}

function rates(v: unknown, path: KeyPath, p: Problems, parse: Parser): DeviceRate[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((item, i) => {
    const r = rawAt(item);
    const rate = num(r, 'rate', [...path, i], p, parse);
    return typeof r['path'] === 'string' && rate !== undefined ? [{ path: r['path'], rate }] : [];
  });
}

export function normalizeResources(svc: Raw, path: KeyPath, p: Problems): Resources {
  const deployPath = [...path, 'deploy', 'resources'];
  const res = rawAt(rawAt(svc['deploy'])['resources']);
  const limits = rawAt(res['limits']);
  const reservations = rawAt(res['reservations']);
  const lim = [...deployPath, 'limits'];
  const resv = [...deployPath, 'reservations'];
  const blkio = rawAt(svc['blkio_config']);
  const blkioPath = [...path, 'blkio_config'];
  const out: Resources = {
    blkioDeviceReadBps: rates(blkio['device_read_bps'], [...blkioPath, 'device_read_bps'], p, parseBytes),
    blkioDeviceWriteBps: rates(blkio['device_write_bps'], [...blkioPath, 'device_write_bps'], p, parseBytes),
    blkioDeviceReadIops: rates(blkio['device_read_iops'], [...blkioPath, 'device_read_iops'], p, parseInteger),
    blkioDeviceWriteIops: rates(blkio['device_write_iops'], [...blkioPath, 'device_write_iops'], p, parseInteger),
  };
  const set = <K extends keyof Resources>(k: K, v: Resources[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('memoryBytes', pick(num(svc, 'mem_limit', path, p, parseBytes), num(limits, 'memory', lim, p, parseBytes), ['mem_limit', 'deploy.resources.limits.memory'], [...lim, 'memory'], p));
  set('cpus', pick(num(svc, 'cpus', path, p, parseNumber), num(limits, 'cpus', lim, p, parseNumber), ['cpus', 'deploy.resources.limits.cpus'], [...lim, 'cpus'], p));
  set('pidsLimit', pick(num(svc, 'pids_limit', path, p, parseInteger), num(limits, 'pids', lim, p, parseInteger), ['pids_limit', 'deploy.resources.limits.pids'], [...lim, 'pids'], p));
  set(
    'memoryReservationBytes',
    pick(num(svc, 'mem_reservation', path, p, parseBytes), num(reservations, 'memory', resv, p, parseBytes), ['mem_reservation', 'deploy.resources.reservations.memory'], [...resv, 'memory'], p),
  );
  set('cpusReservation', num(reservations, 'cpus', resv, p, parseNumber));
  set('memorySwapBytes', num(svc, 'memswap_limit', path, p, parseBytes));
  set('memSwappiness', num(svc, 'mem_swappiness', path, p, parseInteger));
  set('cpuShares', num(svc, 'cpu_shares', path, p, parseInteger));
  set('cpuQuota', num(svc, 'cpu_quota', path, p, parseInteger));
  set('cpuPeriod', num(svc, 'cpu_period', path, p, parseInteger));
  set('blkioWeight', num(blkio, 'weight', blkioPath, p, parseInteger));
  set('oomScoreAdj', num(svc, 'oom_score_adj', path, p, parseInteger));
  if (typeof svc['cpuset'] === 'string') out.cpuset = svc['cpuset'];
  const oom = svc['oom_kill_disable'];
  if (oom !== undefined && oom !== null) set('oomKillDisable', p.take(parseBool(oom), [...path, 'oom_kill_disable'], oom));
  for (const [key, v] of [['mem_limit', out.memoryBytes], ['mem_reservation', out.memoryReservationBytes]] as const) {
    if (v !== undefined && v < 0) p.error([...path, key], `found ${v}, expected a byte size of 0 or more`);
  }
  if (out.memorySwapBytes !== undefined && out.memorySwapBytes < -1) {
    p.error([...path, 'memswap_limit'], `found ${out.memorySwapBytes}, expected a byte size or -1 (unlimited swap)`);
  }
  if (out.cpus !== undefined && out.cpus < 0) p.error([...path, 'cpus'], `found ${out.cpus}, expected a non-negative number of CPUs`);
  if (out.memSwappiness !== undefined && (out.memSwappiness < 0 || out.memSwappiness > 100)) {
    p.error([...path, 'mem_swappiness'], `found ${out.memSwappiness}, expected a percentage from 0 to 100`);
  }
  if (out.oomScoreAdj !== undefined && (out.oomScoreAdj < -1000 || out.oomScoreAdj > 1000)) {
    p.error([...path, 'oom_score_adj'], `found ${out.oomScoreAdj}, expected a number from -1000 to 1000`);
  }
  return out;
}

export function normalizeReplicas(svc: Raw, path: KeyPath, p: Problems): number {
  const replicas = num(rawAt(svc['deploy']), 'replicas', [...path, 'deploy'], p, parseInteger);
  const scale = num(svc, 'scale', path, p, parseInteger);
  const n = pick(scale, replicas, ['scale', 'deploy.replicas'], [...path, 'deploy', 'replicas'], p) ?? 1;
  if (n < 0) {
    p.error([...path, 'scale'], `found ${n} replicas, expected 0 or more`);
    return 1;
  }
  return n;
}

const DEPLOY_CONDITIONS: Record<string, RestartPolicy['condition']> = {
  none: 'no',
  no: 'no',
  'on-failure': 'on-failure',
  any: 'always',
  always: 'always',
  'unless-stopped': 'unless-stopped',
};

export function normalizeRestart(svc: Raw, path: KeyPath, p: Problems): RestartPolicy {
  const policyRaw = rawAt(svc['deploy'])['restart_policy'];
  if (policyRaw !== undefined && policyRaw !== null) {
    const at = [...path, 'deploy', 'restart_policy'];
    const r = rawAt(policyRaw);
    const out: RestartPolicy = { condition: DEPLOY_CONDITIONS[String(r['condition'] ?? 'any')] ?? 'always' };
    const attempts = num(r, 'max_attempts', at, p, parseInteger);
    const delay = num(r, 'delay', at, p, parseDuration);
    const window = num(r, 'window', at, p, parseDuration);
    if (attempts !== undefined) out.maxAttempts = attempts;
    if (delay !== undefined) out.delayMs = delay;
    if (window !== undefined) out.windowMs = window;
    if (typeof svc['restart'] === 'string') p.warn([...path, 'restart'], 'ignored: deploy.restart_policy is set and takes precedence (as in Docker Compose)');
    return out;
  }
  const text = typeof svc['restart'] === 'string' ? svc['restart'] : 'no';
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(text);
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) {
    p.error([...path, 'restart'], `found "${text}", expected "no", "always", "on-failure[:N]" or "unless-stopped"`);
    return { condition: 'no' };
  }
  const out: RestartPolicy = { condition: m[1] as RestartPolicy['condition'] };
  if (m[2] !== undefined) out.maxAttempts = Number(m[2]);
  return out;
}

export function normalizeUpdateConfig(v: unknown, path: KeyPath, p: Problems): UpdateConfig {
  const r = rawAt(v);
  const action = r['failure_action'];
  return {
    parallelism: num(r, 'parallelism', path, p, parseInteger) ?? 1,
    delayMs: num(r, 'delay', path, p, parseDuration) ?? 0,
    order: r['order'] === 'start-first' ? 'start-first' : 'stop-first',
    failureAction: action === 'continue' || action === 'rollback' ? action : 'pause',
    monitorMs: num(r, 'monitor', path, p, parseDuration) ?? 5000,
    maxFailureRatio: num(r, 'max_failure_ratio', path, p, parseNumber) ?? 0,
  };
}
