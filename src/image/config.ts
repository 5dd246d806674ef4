/**
 * OCI / Docker image config JSON (pure): parsed field by field (never cast) into what the store keeps:
 * the runtime part (ImageRuntimeConfig: Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts, Volumes,
 * StopSignal, Labels, Healthcheck), platform, creation time and rootfs.diff_ids. The merge with a service's
 * keys is done by the runtime (src/runtime/oci-config.ts).
 */
import { TscError } from '../errors.js';
import type { ImageRuntimeConfig } from './api.js';
import { isDigest } from './reference.js';

export interface ParsedImageConfig {
  runtime: ImageRuntimeConfig;
  os: string;
  architecture: string;
  variant?: string;
  created?: string;
  diffIds: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strArray = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function bad(why: string): TscError {
  return new TscError('IMAGE', `invalid image config: ${why}`);
}

export function parseJson(buf: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(typeof buf === 'string' ? buf : buf.toString('utf8'));
  } catch (e) {
    throw new TscError('IMAGE', `${what} is not valid JSON`, { cause: e });
  }
}

export function parseRuntimeConfig(c: unknown): ImageRuntimeConfig {
  const cfg: Obj = isObj(c) ? c : {};
  const out: ImageRuntimeConfig = {
    env: strArray(cfg.Env) ?? [],
    exposedPorts: isObj(cfg.ExposedPorts) ? Object.keys(cfg.ExposedPorts) : [],
    volumes: isObj(cfg.Volumes) ? Object.keys(cfg.Volumes) : [],
    labels: {},
  };
  const ep = strArray(cfg.Entrypoint);
  if (ep) out.entrypoint = ep;
  const cmd = strArray(cfg.Cmd);
  if (cmd) out.cmd = cmd;
  const wd = str(cfg.WorkingDir);
  if (wd) out.workingDir = wd;
  const user = str(cfg.User);
  if (user) out.user = user;
  const sig = str(cfg.StopSignal);
  if (sig) out.stopSignal = sig;
  if (isObj(cfg.Labels)) for (const [k, v] of Object.entries(cfg.Labels)) if (typeof v === 'string') out.labels[k] = v;
  const hc = cfg.Healthcheck;
  if (isObj(hc)) {
    const test = strArray(hc.Test);
    if (test && test.length > 0) {
      const h: NonNullable<ImageRuntimeConfig['healthcheck']> = { test };
      const set = (k: 'intervalNs' | 'timeoutNs' | 'startPeriodNs' | 'startIntervalNs' | 'retries', v: unknown): void => {
        const n = num(v);
        if (n !== undefined && n > 0) h[k] = n;
      };
      set('intervalNs', hc.Interval);
      set('timeoutNs', hc.Timeout);
      set('startPeriodNs', hc.StartPeriod);
      set('startIntervalNs', hc.StartInterval);
      set('retries', hc.Retries);
      out.healthcheck = h;
    }
  }
  return out;
}

export function parseImageConfig(raw: Buffer | string): ParsedImageConfig {
  const j = parseJson(raw, 'image config');
  if (!isObj(j)) throw bad('not an object');
  const rootfs = j.rootfs;
  if (!isObj(rootfs) || rootfs.type !== 'layers') throw bad('rootfs.type must be "layers"');
  const diffIds = strArray(rootfs.diff_ids);
  if (!diffIds) throw bad('rootfs.diff_ids must be a list of digests');
  for (const d of diffIds) if (!isDigest(d)) throw bad(`bad diff_id ${JSON.stringify(d)}`);
  const out: ParsedImageConfig = {
    runtime: parseRuntimeConfig(j.config),
    os: str(j.os) ?? 'linux',
    architecture: str(j.architecture) ?? 'amd64',
    diffIds,
  };
  const v = str(j.variant);
  if (v) out.variant = v;
  const created = str(j.created);
  if (created) out.created = created;
  return out;
}

/** Docker/OCI architecture name of this machine. */
export function hostArchitecture(): { architecture: string; variant?: string } {
  switch (process.arch) {
    case 'x64':
      return { architecture: 'amd64' };
    case 'arm64':
      return { architecture: 'arm64', variant: 'v8' };
    case 'arm':
      return { architecture: 'arm', variant: 'v7' };
    case 'ia32':
      return { architecture: '386' };
    case 'ppc64':
      return { architecture: 'ppc64le' };
    default:
      return { architecture: process.arch };
  }
}
