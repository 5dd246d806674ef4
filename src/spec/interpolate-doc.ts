/**
 * Interpolation of a whole parsed document: every string value (never keys), including `x-` fields, as
 * Compose does. A value that contained a substitution is then cast at the paths where Compose casts
 * (`replicas: ${N}` becomes a number, `read_only: ${RO}` a boolean), so the schema sees the intended type.
 */
import type { KeyPath, SpecProblem } from './source.js';
import type { SourceDoc } from './source.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';
import { Tagged } from './yaml-located.js';

type Cast = 'int' | 'float' | 'bool';
// '*' matches any key or index; paths as in compose-go's interpolation type-cast table
const CASTS: ReadonlyArray<[string[], Cast]> = (
  [
    ['services.*.deploy.replicas', 'int'],
    ['services.*.scale', 'int'],
    ['services.*.cpus', 'float'],
    ['services.*.cpu_shares', 'int'],
    ['services.*.cpu_period', 'int'],
    ['services.*.cpu_quota', 'int'],
    ['services.*.cpu_count', 'int'],
    ['services.*.cpu_percent', 'float'],
    ['services.*.pids_limit', 'int'],
    ['services.*.oom_score_adj', 'int'],
    ['services.*.mem_swappiness', 'int'],
    ['services.*.init', 'bool'],
    ['services.*.privileged', 'bool'],
    ['services.*.read_only', 'bool'],
    ['services.*.stdin_open', 'bool'],
    ['services.*.tty', 'bool'],
    ['services.*.oom_kill_disable', 'bool'],
    ['services.*.healthcheck.retries', 'int'],
    ['services.*.healthcheck.disable', 'bool'],
    ['services.*.deploy.update_config.parallelism', 'int'],
    ['services.*.deploy.update_config.max_failure_ratio', 'float'],
    ['services.*.deploy.rollback_config.parallelism', 'int'],
    ['services.*.deploy.rollback_config.max_failure_ratio', 'float'],
    ['services.*.deploy.restart_policy.max_attempts', 'int'],
    ['services.*.ports.*.target', 'int'],
    ['services.*.ulimits.*', 'int'],
    ['services.*.ulimits.*.soft', 'int'],
    ['services.*.ulimits.*.hard', 'int'],
    ['services.*.volumes.*.read_only', 'bool'],
    ['services.*.volumes.*.volume.nocopy', 'bool'],
    ['services.*.volumes.*.bind.create_host_path', 'bool'],
    ['services.*.depends_on.*.required', 'bool'],
    ['services.*.depends_on.*.restart', 'bool'],
    ['services.*.secrets.*.mode', 'int'],
    ['services.*.configs.*.mode', 'int'],
    ['networks.*.external', 'bool'],
    ['networks.*.internal', 'bool'],
    ['networks.*.attachable', 'bool'],
    ['networks.*.enable_ipv6', 'bool'],
    ['volumes.*.external', 'bool'],
    ['secrets.*.external', 'bool'],
    ['configs.*.external', 'bool'],
  ] as const
).map(([p, c]) => [p.split('.'), c]);

function castFor(path: KeyPath): Cast | undefined {
  for (const [pattern, cast] of CASTS) {
    if (pattern.length !== path.length) continue;
    if (pattern.every((p, i) => p === '*' || p === String(path[i]))) return cast;
  }
  return undefined;
}

function cast(value: string, how: Cast): unknown {
  const t = value.trim();
  if (how === 'bool') {
    if (/^(true|yes|on|1)$/i.test(t)) return true;
    if (/^(false|no|off|0)$/i.test(t)) return false;
    return value;
  }
  if (how === 'int' && /^[-+]?\d+$/.test(t)) return Number(t);
  if (how === 'float' && t !== '' && Number.isFinite(Number(t))) return Number(t);
  return value;
}

/**
 * Interpolates `doc.data` in place; every failure becomes a located error, and the first use of each unset
 * variable without a default a located warning (Compose: 'The "X" variable is not set. Defaulting to a
 * blank string.').
 */
export function interpolateDoc(doc: SourceDoc, lookup: Lookup, problems: SpecProblem[]): void {
  const path: (string | number)[] = []; // the current key path, copied only when a problem is reported
  const warned = new Set<string>();
  const onUnset = (name: string): void => {
    if (warned.has(name)) return;
    warned.add(name);
    const message = `the "${name}" variable is not set. Defaulting to a blank string.`;
    problems.push({ severity: 'warning', position: doc.positionOf(path), path: [...path], message });
  };
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      try {
        const out = interpolate(v, lookup, onUnset);
        const how = castFor(path);
        return how ? cast(out, how) : out;
      } catch (e) {
        if (!(e instanceof InterpolationError)) throw e;
        problems.push({ severity: 'error', position: doc.positionOf(path), path: [...path], message: e.message });
        return v;
      }
    }
    if (typeof v !== 'object' || v === null) return v;
    if (v instanceof Tagged) return new Tagged(v.tag, visit(v.value));
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        v[i] = visit(v[i]);
        path.pop();
      }
      return v;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      path.push(k);
      const nv = visit(o[k]);
      path.pop();
      if (nv !== o[k]) Object.defineProperty(o, k, { value: nv, enumerable: true, writable: true, configurable: true });
    }
    return v;
  };
  visit(doc.data);
}
