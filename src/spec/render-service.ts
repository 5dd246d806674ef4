/** One Service -> its Compose-form mapping (see render.ts for the conventions). */
import type { Healthcheck, PortMapping, ServiceMount, Service, UpdateConfig } from './model.js';
import { sortedRecord } from './normalize-util.js';
import { formatDuration } from './units.js';

type Out = Record<string, unknown>;

/** cap_add/cap_drop as Compose files spell them (NET_ADMIN); the model keeps the kernel's CAP_ names. */
function shortCap(c: string): string {
  return c.startsWith('CAP_') ? c.slice(4) : c;
}

/** Drops undefined values, empty maps/lists and false flags: what Compose leaves out (omitempty). */
export function compact(o: Out): Out {
  const out: Out = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}



function renderPort(p: PortMapping): Out {
  return compact({
    name: p.name,
    mode: p.mode,
    host_ip: p.hostIp,
    target: p.target,
    published: p.published === undefined ? undefined : String(p.published),
    protocol: p.protocol,
    app_protocol: p.appProtocol,
  });
}

function renderMount(m: ServiceMount): Out {
  const base = { type: m.type, source: m.type === 'tmpfs' ? undefined : m.source, target: m.target, read_only: m.readOnly };
  if (m.type === 'bind') {
    return compact({ ...base, bind: compact({ propagation: m.propagation, create_host_path: m.createHostPath, selinux: m.selinux }) });
  }
  if (m.type === 'volume') return compact({ ...base, volume: compact({ nocopy: m.nocopy, subpath: m.subpath }) });
  return compact({ ...base, tmpfs: compact({ size: m.sizeBytes, mode: m.mode === undefined ? undefined : m.mode.toString(8) }) });
}

/** Timings print only when the file wrote them, as docker compose config (all when writtenKeys is unknown). */
function renderHealthcheck(h: Healthcheck | undefined, written: string[] | undefined): Out | undefined {
  if (!h) return undefined;
  if (h.kind === 'none') return { disable: true };
  const test = h.test === undefined ? undefined : h.test.kind === 'cmd' ? ['CMD', ...h.test.argv] : ['CMD-SHELL', h.test.command];
  const w = <T>(key: string, v: T): T | undefined => (written === undefined || written.includes(`healthcheck.${key}`) ? v : undefined);
  // `healthcheck: {}` still prints (with its interval), so that the output loads back into the same model
  const any = test !== undefined || ['interval', 'timeout', 'retries', 'start_period', 'start_interval'].some((k) => w(k, true));
  if (!any) return { interval: formatDuration(h.intervalMs) };
  return compact({
    test,
    interval: w('interval', formatDuration(h.intervalMs)),
    timeout: w('timeout', formatDuration(h.timeoutMs)),
    retries: w('retries', h.retries),
    start_period: w('start_period', formatDuration(h.startPeriodMs)),
    start_interval: w('start_interval', formatDuration(h.startIntervalMs)),
  });
}

function renderUpdate(u: UpdateConfig | undefined): Out | undefined {
  if (!u) return undefined;
  return {
    parallelism: u.parallelism,
    delay: formatDuration(u.delayMs),
    failure_action: u.failureAction,
    monitor: formatDuration(u.monitorMs),
    max_failure_ratio: u.maxFailureRatio,
    order: u.order,
  };
}

const DEFAULT_UPDATE = JSON.stringify(renderUpdate({ parallelism: 1, delayMs: 0, order: 'stop-first', failureAction: 'pause', monitorMs: 5000, maxFailureRatio: 0 }));

/** Where a value goes: where it was written (both places if both were), else the canonical place. */
function placed(s: Service, legacy: string, deploy: string, deployIsDefault: boolean): { legacy: boolean; deploy: boolean } {
  const w = s.writtenKeys ?? [];
  const l = w.includes(legacy);
  const d = w.includes(deploy);
  if (l || d) return { legacy: l, deploy: d };
  return { legacy: !deployIsDefault, deploy: deployIsDefault };
}

function restartPolicy(s: Service): Out {
  const condition = { no: 'none', always: 'any', 'on-failure': 'on-failure', 'unless-stopped': 'unless-stopped' }[s.restart.condition];
  return compact({
    condition,
    delay: s.restart.delayMs === undefined ? undefined : formatDuration(s.restart.delayMs),
    max_attempts: s.restart.maxAttempts,
    window: s.restart.windowMs === undefined ? undefined : formatDuration(s.restart.windowMs),
  });
}

/** restart_policy goes to deploy when written there or when only it can say delay/window. */
function restartInDeploy(s: Service): boolean {
  const w = s.writtenKeys ?? [];
  if (w.includes('deploy.restart_policy')) return true;
  if (w.includes('restart')) return false;
  return s.restart.delayMs !== undefined || s.restart.windowMs !== undefined;
}

function renderRestart(s: Service): string | undefined {
  if (restartInDeploy(s) || (s.restart.condition === 'no' && !(s.writtenKeys ?? []).includes('restart'))) return undefined;
  return s.restart.maxAttempts === undefined ? s.restart.condition : `${s.restart.condition}:${s.restart.maxAttempts}`;
}

interface DualKeys {
  top: Out;
  limits: Out;
  reservations: Out;
  replicas?: number;
}

/** The resource and replica values that live both at the service level and under deploy. */
function dualKeys(s: Service): DualKeys {
  const r = s.resources;
  const out: DualKeys = { top: {}, limits: {}, reservations: {} };
  const pairs: [string, string, Out, string, number | undefined][] = [
    ['mem_limit', 'deploy.resources.limits.memory', out.limits, 'memory', r.memoryBytes],
    ['cpus', 'deploy.resources.limits.cpus', out.limits, 'cpus', r.cpus],
    ['pids_limit', 'deploy.resources.limits.pids', out.limits, 'pids', r.pidsLimit],
    ['mem_reservation', 'deploy.resources.reservations.memory', out.reservations, 'memory', r.memoryReservationBytes],
  ];
  for (const [legacy, deploy, target, key, value] of pairs) {
    if (value === undefined) continue;
    const where = placed(s, legacy, deploy, true);
    if (where.legacy) out.top[legacy] = value;
    if (where.deploy) target[key] = value;
  }
  const written = (s.writtenKeys ?? []).some((k) => k === 'scale' || k === 'deploy.replicas');
  if (s.replicas !== 1 || written) {
    const where = placed(s, 'scale', 'deploy.replicas', false);
    if (where.legacy) out.top['scale'] = s.replicas;
    if (where.deploy) out.replicas = s.replicas;
  }
  return out;
}

function renderDeploy(s: Service, dual: DualKeys): Out {
  const update = renderUpdate(s.updateConfig);
  return compact({
    replicas: dual.replicas,
    resources: compact({
      limits: sortedRecord(dual.limits),
      reservations: sortedRecord(compact({ ...dual.reservations, cpus: s.resources.cpusReservation })),
    }),
    restart_policy: restartInDeploy(s) ? restartPolicy(s) : undefined,
    update_config: JSON.stringify(update) === DEFAULT_UPDATE ? undefined : update,
    rollback_config: renderUpdate(s.rollbackConfig),
  });
}

function renderNetworkMode(s: Service): string | undefined {
  const m = s.networkMode;
  if (m.kind === 'bridge') return undefined;
  if (m.kind === 'service') return `service:${m.service}`;
  if (m.kind === 'container') return `container:${m.container}`;
  return m.kind;
}

function renderNetworks(s: Service): Out {
  const out: Out = {};
  for (const name of Object.keys(s.networks).sort()) {
    const n = s.networks[name]!;
    const cfg = compact({
      aliases: n.aliases,
      ipv4_address: n.ipv4Address,
      ipv6_address: n.ipv6Address,
      mac_address: n.macAddress,
      priority: n.priority === 0 ? undefined : n.priority,
    });
    out[name] = Object.keys(cfg).length === 0 ? null : cfg;
  }
  return out;
}

function renderBlkio(s: Service): Out {
  const rates = (l: { path: string; rate: number }[]): Out[] => l.map((d) => ({ path: d.path, rate: d.rate }));
  const r = s.resources;
  return compact({
    weight: r.blkioWeight,
    device_read_bps: rates(r.blkioDeviceReadBps),
    device_write_bps: rates(r.blkioDeviceWriteBps),
    device_read_iops: rates(r.blkioDeviceReadIops),
    device_write_iops: rates(r.blkioDeviceWriteIops),
  });
}

export function renderService(s: Service): Out {
  const r = s.resources;
  const dual = dualKeys(s);
  const out = compact({
    ...dual.top,
    image: s.image,
    build: s.build && compact({ context: s.build.context, dockerfile: s.build.dockerfile, dockerfile_inline: s.build.dockerfileInline, args: sortedRecord(s.build.args), target: s.build.target, labels: sortedRecord(s.build.labels) }),
    pull_policy: s.pullPolicy === 'missing' ? undefined : s.pullPolicy,
    command: s.command,
    entrypoint: s.entrypoint,
    environment: sortedRecord(s.environment),
    labels: sortedRecord(s.labels),
    annotations: sortedRecord(s.annotations),
    container_name: s.containerName,
    hostname: s.hostname,
    domainname: s.domainname,
    user: s.user,
    working_dir: s.workingDir,
    init: s.init,
    tty: s.tty,
    stdin_open: s.stdinOpen,
    privileged: s.privileged,
    read_only: s.readOnly,
    cap_add: s.capAdd.map(shortCap),
    cap_drop: s.capDrop.map(shortCap),
    security_opt: s.securityOpt,
    group_add: s.groupAdd,
    stop_signal: s.stopSignal,
    stop_grace_period: s.stopGracePeriodMs === 10_000 ? undefined : formatDuration(s.stopGracePeriodMs),
    ports: s.ports.map(renderPort),
    expose: s.expose.map((e) => (e.protocol === 'tcp' ? String(e.port) : `${e.port}/${e.protocol}`)),
    volumes: s.volumes.map(renderMount),
    volumes_from: s.volumesFrom,
    depends_on: Object.fromEntries(
      Object.keys(s.dependsOn).sort().map((k) => {
        const d = s.dependsOn[k]!;
        // required is always printed (false is the meaningful value); restart only when true, as Compose.
        return [k, { condition: d.condition, required: d.required, ...(d.restart ? { restart: true } : {}) }];
      }),
    ),
    healthcheck: renderHealthcheck(s.healthcheck, s.writtenKeys),
    restart: renderRestart(s),
    deploy: renderDeploy(s, dual),
    mem_swappiness: r.memSwappiness,
    memswap_limit: r.memorySwapBytes,
    cpu_shares: r.cpuShares,
    cpu_quota: r.cpuQuota,
    cpu_period: r.cpuPeriod,
    cpuset: r.cpuset,
    blkio_config: renderBlkio(s),
    oom_kill_disable: r.oomKillDisable,
    oom_score_adj: r.oomScoreAdj,
    network_mode: renderNetworkMode(s),
    networks: renderNetworks(s),
    extra_hosts: s.extraHosts.map((h) => `${h.hostname}=${h.ip}`),
    dns: s.dns,
    dns_search: s.dnsSearch,
    dns_opt: s.dnsOpt,
    sysctls: sortedRecord(s.sysctls),
    // a single number when soft = hard (`nproc: 65535`), as docker compose config prints the short form
    ulimits: Object.fromEntries(
      Object.keys(s.ulimits).sort().map((k) => {
        const u = s.ulimits[k]!;
        return [k, u.soft === u.hard ? u.soft : { soft: u.soft, hard: u.hard }];
      }),
    ),
    tmpfs: s.tmpfs.map((t) => {
      const opts = [...(t.sizeBytes === undefined ? [] : [`size=${t.sizeBytes}`]), ...(t.mode === undefined ? [] : [`mode=${t.mode.toString(8)}`]), ...t.options];
      return opts.length === 0 ? t.target : `${t.target}:${opts.join(',')}`;
    }),
    shm_size: s.shmSizeBytes,
    logging: s.logging && compact({ driver: s.logging.driver, options: sortedRecord(s.logging.options) }),
    profiles: s.profiles,
    develop: s.develop && {
      watch: s.develop.watch.map((w) =>
        compact({
          action: w.action,
          path: w.path,
          target: w.target,
          ignore: w.ignore,
          include: w.include,
          initial_sync: w.initialSync,
          exec: w.exec && compact({ command: w.exec.command, user: w.exec.user, working_dir: w.exec.workingDir, environment: sortedRecord(w.exec.environment) }),
        }),
      ),
    },
    'x-tscompose': s.tscompose.lb === 'round-robin' ? undefined : { lb: s.tscompose.lb },
    ...s.extensions,
  });
  // `oom_kill_disable: false` and an explicitly empty command/entrypoint are meaningful: keep them.
  if (r.oomKillDisable === false) out['oom_kill_disable'] = false;
  if (s.command?.length === 0) out['command'] = [];
  if (s.entrypoint?.length === 0) out['entrypoint'] = [];
  return sortedRecord(out);
}
