/**
 * `ports:` (short "[[HOST_IP:][HOST_PORT[-END]]:]CONTAINER_PORT[-END][/PROTO]", numbers, and the long form)
 * and `expose:`. Ranges are expanded into one mapping per port: "8000-8002:80-82" gives 8000->80, 8001->81,
 * 8002->82; a container range without host ports gives ephemeral host ports. IPv6 host IPs are written in
 * brackets ("[::1]:8080:80") and stored without them.
 *
 * A host range mapped onto a single container port ("9000-9010:80") means "any free port of the range" in
 * Docker; the model has one published port, so the first port of the range is used, with a warning.
 */
import type { ExposedPort, PortMapping } from './model.js';
import type { KeyPath } from './source.js';
import { isRaw, scalarString, type Problems } from './normalize-util.js';
import { isIp } from './parse-ip.js';

interface Range {
  start: number;
  end: number;
}

function parseRange(s: string, allowZero: boolean): Range | string {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const min = allowZero ? 0 : 1;
  if (!m) return `a port number or range (${min}-65535), found "${s}"`;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  for (const p of [start, end]) if (p < min || p > 65535) return `a port in range ${min}-65535, found ${p}`;
  if (end < start) return `a range whose end is not below its start, found "${s}"`;
  return { start, end };
}

function protocolOf(s: string | undefined): 'tcp' | 'udp' | string {
  return (s ?? 'tcp').toLowerCase();
}

/** Splits "ip:host:container" respecting [IPv6] brackets. */
function splitParts(spec: string): string[] | undefined {
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']');
    if (close < 0 || spec[close + 1] !== ':') return undefined;
    const rest = spec.slice(close + 2).split(':');
    return rest.length === 2 ? [spec.slice(1, close), ...rest] : undefined;
  }
  const parts = spec.split(':');
  if (parts.length <= 3) return parts;
  // Unbracketed IPv6 ("::1:8080:80"): the last two parts are the ports.
  return [parts.slice(0, -2).join(':'), ...parts.slice(-2)];
}

function expand(
  path: KeyPath,
  p: Problems,
  container: string,
  host: string | undefined,
  hostIp: string | undefined,
  proto: string,
  base: Omit<PortMapping, 'target' | 'published' | 'hostIp' | 'protocol'>,
): PortMapping[] {
  if (proto !== 'tcp' && proto !== 'udp') {
    p.error(path, `found protocol "${proto}", expected "tcp" or "udp" (sctp is not supported)`);
    return [];
  }
  const c = parseRange(container, false);
  if (typeof c === 'string') {
    p.error(path, `container port: expected ${c}`);
    return [];
  }
  const h = host === undefined || host === '' ? undefined : parseRange(host, true);
  if (typeof h === 'string') {
    p.error(path, `host port: expected ${h}`);
    return [];
  }
  if (hostIp !== undefined && hostIp !== '' && !isIp(hostIp)) {
    p.error(path, `found host IP "${hostIp}", expected an IPv4 address or an IPv6 address in brackets`);
    return [];
  }
  const count = c.end - c.start + 1;
  const out: PortMapping[] = [];
  const hostCount = h ? h.end - h.start + 1 : 0;
  if (h && hostCount !== count && count !== 1) {
    p.error(path, `found ${hostCount} host ports for ${count} container ports, expected ranges of the same length`);
    return [];
  }
  if (h && count === 1 && hostCount > 1) {
    p.warn(path, `host port range ${h.start}-${h.end} for one container port: using host port ${h.start}`);
  }
  for (let i = 0; i < count; i++) {
    const published = h ? (h.start === 0 ? undefined : h.start + (count === 1 ? 0 : i)) : undefined;
    const m: PortMapping = { ...base, target: c.start + i, protocol: proto };
    if (published !== undefined) m.published = published;
    if (hostIp !== undefined && hostIp !== '') m.hostIp = hostIp;
    out.push(m);
  }
  return out;
}

function shortPort(spec: string, path: KeyPath, p: Problems): PortMapping[] {
  const [main, proto, extra] = spec.trim().split('/');
  if (extra !== undefined || main === undefined) {
    p.error(path, `found "${spec}", expected a port such as "8080:80", "127.0.0.1:8080:80/udp" or "80"`);
    return [];
  }
  const parts = splitParts(main);
  if (!parts) {
    p.error(path, `found "${spec}", expected "[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]" with IPv6 in brackets`);
    return [];
  }
  const base = { mode: 'ingress' as const };
  if (parts.length === 1) return expand(path, p, parts[0] as string, undefined, undefined, protocolOf(proto), base);
  if (parts.length === 2) return expand(path, p, parts[1] as string, parts[0], undefined, protocolOf(proto), base);
  return expand(path, p, parts[2] as string, parts[1], parts[0], protocolOf(proto), base);
}

function longPort(raw: Record<string, unknown>, path: KeyPath, p: Problems): PortMapping[] {
  const mode = raw['mode'] === 'host' ? 'host' : 'ingress';
  const base: Omit<PortMapping, 'target' | 'published' | 'hostIp' | 'protocol'> = { mode };
  if (typeof raw['name'] === 'string') base.name = raw['name'];
  if (typeof raw['app_protocol'] === 'string') base.appProtocol = raw['app_protocol'];
  const published = raw['published'] === undefined || raw['published'] === null ? undefined : scalarString(raw['published']);
  const hostIp = typeof raw['host_ip'] === 'string' ? raw['host_ip'].replace(/^\[(.*)\]$/, '$1') : undefined;
  const proto = protocolOf(typeof raw['protocol'] === 'string' ? raw['protocol'] : undefined);
  return expand(path, p, scalarString(raw['target']), published, hostIp, proto, base);
}

export function normalizePorts(v: unknown, path: KeyPath, p: Problems): PortMapping[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((item, i) => {
    const at = [...path, i];
    if (typeof item === 'number') return expand(at, p, String(item), undefined, undefined, 'tcp', { mode: 'ingress' });
    if (typeof item === 'string') return shortPort(item, at, p);
    if (isRaw(item)) return longPort(item, at, p);
    return [];
  });
}

export function normalizeExpose(v: unknown, path: KeyPath, p: Problems): ExposedPort[] {
  if (!Array.isArray(v)) return [];
  const out: ExposedPort[] = [];
  v.forEach((item, i) => {
    const [port = '', proto, extra] = scalarString(item).split('/');
    const protocol = protocolOf(proto);
    const r = parseRange(port, false);
    if (typeof r === 'string' || extra !== undefined || (protocol !== 'tcp' && protocol !== 'udp')) {
      p.error([...path, i], `found ${JSON.stringify(item)}, expected a port, a range or "port/protocol" such as "3000/udp"`);
      return;
    }
    for (let n = r.start; n <= r.end; n++) out.push({ port: n, protocol });
  });
  return out;
}
