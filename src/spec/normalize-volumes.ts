/**
 * Service `volumes:` (short "SOURCE:TARGET[:MODE]" / "TARGET", and the long form) and `tmpfs:`.
 *
 * Short syntax, as Compose: a source starting with "/", "." or "~" is a bind mount (relative to the project
 * directory, "~" to $HOME) whose missing host path is created; any other source names a volume that must be
 * declared at the top level; a lone target is an anonymous volume. MODE is a comma list of ro|rw, z|Z,
 * nocopy, a propagation mode, and consistency flags (cached/delegated/consistent, ignored as on Linux).
 */
import { posix } from 'node:path';
import type { BindMount, ServiceMount, TmpfsMount } from './model.js';
import type { KeyPath } from './source.js';
import { isRaw, rawAt, scalarString, type Problems } from './normalize-util.js';
import { parseBool, parseBytes, parseMode } from './units.js';

export interface PathContext {
  workingDir: string;
  home: string | undefined;
}

const PROPAGATION = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'] as const;
type Propagation = (typeof PROPAGATION)[number];

/** Host path: "~" against HOME, relative against the project directory; always normalized absolute. */
export function resolveHostPath(source: string, ctx: PathContext): string {
  if (source === '~' || source.startsWith('~/')) return posix.join(ctx.home ?? '/root', source.slice(1));
  return posix.resolve(ctx.workingDir, source);
}

function isBindSource(s: string): boolean {
  return s.startsWith('/') || s.startsWith('.') || s.startsWith('~');
}

function checkTarget(target: string, path: KeyPath, p: Problems): boolean {
  if (target.startsWith('/')) return true;
  p.error(path, `found container path "${target}", expected an absolute path`);
  return false;
}

function shortVolume(spec: string, path: KeyPath, p: Problems, ctx: PathContext): ServiceMount | undefined {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((x) => x === '')) {
    p.error(path, `found "${spec}", expected "SOURCE:TARGET[:MODE]" or "TARGET"`);
    return undefined;
  }
  if (parts.length === 1) {
    const target = parts[0] as string;
    return checkTarget(target, path, p) ? { type: 'volume', target, readOnly: false, nocopy: false } : undefined;
  }
  const [source, target, modeText] = parts as [string, string, string | undefined];
  if (!checkTarget(target, path, p)) return undefined;
  const flags = modeText ? modeText.split(',') : [];
  let readOnly = false;
  let selinux: 'z' | 'Z' | undefined;
  let propagation: Propagation | undefined;
  let nocopy = false;
  for (const f of flags) {
    if (f === 'ro' || f === 'rw') readOnly = f === 'ro';
    else if (f === 'z' || f === 'Z') selinux = f;
    else if (f === 'nocopy') nocopy = true;
    else if ((PROPAGATION as readonly string[]).includes(f)) propagation = f as Propagation;
    else if (f !== 'cached' && f !== 'delegated' && f !== 'consistent') {
      p.error(path, `found mode "${f}", expected ro, rw, z, Z, nocopy or a propagation mode such as rshared`);
      return undefined;
    }
  }
  if (isBindSource(source)) {
    const m: BindMount = { type: 'bind', source: resolveHostPath(source, ctx), target, readOnly, createHostPath: true };
    if (propagation) m.propagation = propagation;
    if (selinux) m.selinux = selinux;
    return m;
  }
  return { type: 'volume', source, target, readOnly, nocopy };
}

function longVolume(raw: Record<string, unknown>, path: KeyPath, p: Problems, ctx: PathContext): ServiceMount | undefined {
  const target = scalarString(raw['target']);
  if (!checkTarget(target, [...path, 'target'], p)) return undefined;
  const readOnly = p.take(parseBool(raw['read_only'] ?? false), [...path, 'read_only'], raw['read_only']) ?? false;
  const source = typeof raw['source'] === 'string' && raw['source'] !== '' ? raw['source'] : undefined;
  switch (raw['type']) {
    case 'bind': {
      if (source === undefined) {
        p.error(path, 'missing "source", expected a host path for a bind mount');
        return undefined;
      }
      const opts = rawAt(raw['bind']);
      const create = p.take(parseBool(opts['create_host_path'] ?? false), [...path, 'bind', 'create_host_path'], opts['create_host_path']);
      const m: BindMount = { type: 'bind', source: resolveHostPath(source, ctx), target, readOnly, createHostPath: create ?? false };
      if (typeof opts['propagation'] === 'string') m.propagation = opts['propagation'] as Propagation;
      if (opts['selinux'] === 'z' || opts['selinux'] === 'Z') m.selinux = opts['selinux'];
      return m;
    }
    case 'volume': {
      const opts = rawAt(raw['volume']);
      const nocopy = p.take(parseBool(opts['nocopy'] ?? false), [...path, 'volume', 'nocopy'], opts['nocopy']) ?? false;
      const m: ServiceMount = { type: 'volume', target, readOnly, nocopy };
      if (source !== undefined) m.source = source;
      if (typeof opts['subpath'] === 'string') m.subpath = opts['subpath'];
      return m;
    }
    case 'tmpfs': {
      if (source !== undefined) p.error([...path, 'source'], 'a tmpfs mount takes no source');
      const opts = rawAt(raw['tmpfs']);
      const m: ServiceMount = { type: 'tmpfs', target, readOnly };
      if (opts['size'] !== undefined) {
        const size = p.take(parseBytes(opts['size']), [...path, 'tmpfs', 'size'], opts['size']);
        if (size !== undefined) m.sizeBytes = size;
      }
      if (opts['mode'] !== undefined) {
        const mode = p.take(parseMode(opts['mode']), [...path, 'tmpfs', 'mode'], opts['mode']);
        if (mode !== undefined) m.mode = mode;
      }
      return m;
    }
    default:
      return undefined; // cluster/npipe/image: warned about by validateDocument
  }
}

export function normalizeServiceVolumes(v: unknown, path: KeyPath, p: Problems, ctx: PathContext): ServiceMount[] {
  if (!Array.isArray(v)) return [];
  const out: ServiceMount[] = [];
  const targets = new Map<string, number>();
  v.forEach((item, i) => {
    const at = [...path, i];
    const m = typeof item === 'string' ? shortVolume(item, at, p, ctx) : isRaw(item) ? longVolume(item, at, p, ctx) : undefined;
    if (!m) return;
    const first = targets.get(m.target);
    if (first !== undefined) p.error(at, `duplicate mount point "${m.target}" (also at index ${first})`);
    else targets.set(m.target, i);
    out.push(m);
  });
  return out;
}

/** `tmpfs: /run` or `["/run:size=64m,mode=1777,noexec"]`. */
export function normalizeTmpfs(v: unknown, path: KeyPath, p: Problems): TmpfsMount[] {
  const items = typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(scalarString) : [];
  const out: TmpfsMount[] = [];
  items.forEach((spec, i) => {
    const at = typeof v === 'string' ? path : [...path, i];
    const colon = spec.indexOf(':');
    const target = colon < 0 ? spec : spec.slice(0, colon);
    if (!checkTarget(target, at, p)) return;
    const m: TmpfsMount = { target, options: [] };
    const opts = colon < 0 ? [] : spec.slice(colon + 1).split(',').filter((o) => o !== '');
    for (const o of opts) {
      const [k, val] = o.split('=', 2) as [string, string | undefined];
      if (k === 'size' && val !== undefined) {
        const size = p.take(parseBytes(val), at, val);
        if (size !== undefined) m.sizeBytes = size;
      } else if (k === 'mode' && val !== undefined) {
        const mode = p.take(parseMode(val), at, val);
        if (mode !== undefined) m.mode = mode;
      } else m.options.push(o);
    }
    out.push(m);
  });
  return out;
}
