/**
 * A service's place on the network: `network_mode`, `networks` (list or map with aliases, ipv4_address,
 * priority), `extra_hosts` (list "host:ip" / "host=ip", or map; IPv6 allowed), dns/dns_search/dns_opt.
 * A bridge-mode service without `networks:` joins the project's `default` network, as in Compose.
 */
import type { ExtraHost, NetworkMode, ServiceNetwork } from './model.js';
import type { KeyPath } from './source.js';
import { isRaw, rawAt, scalarString, type Problems, type Raw } from './normalize-util.js';
import { parseNumber } from './units.js';
import { isIpv4, isIpv6 } from './parse-ip.js';

export function normalizeNetworkMode(svc: Raw, path: KeyPath, p: Problems): NetworkMode {
  const mode = svc['network_mode'];
  if (typeof mode !== 'string' || mode === 'bridge' || mode === 'default') return { kind: 'bridge' };
  if (mode === 'host' || mode === 'none') return { kind: mode };
  if (mode.startsWith('service:') && mode.length > 8) return { kind: 'service', service: mode.slice(8) };
  if (mode.startsWith('container:') && mode.length > 10) return { kind: 'container', container: mode.slice(10) };
  p.error([...path, 'network_mode'], `found "${mode}", expected "bridge", "host", "none", "service:NAME" or "container:NAME"`);
  return { kind: 'bridge' };
}

function serviceNetwork(v: unknown, path: KeyPath, p: Problems): ServiceNetwork {
  const r = rawAt(v);
  const out: ServiceNetwork = {
    aliases: Array.isArray(r['aliases']) ? r['aliases'].map(scalarString) : [],
    priority: r['priority'] === undefined ? 0 : (p.take(parseNumber(r['priority']), [...path, 'priority'], r['priority']) ?? 0),
  };
  if (typeof r['ipv4_address'] === 'string') {
    out.ipv4Address = r['ipv4_address'];
    if (!isIpv4(out.ipv4Address)) p.error([...path, 'ipv4_address'], `found "${out.ipv4Address}", expected an IPv4 address`);
  }
  if (typeof r['ipv6_address'] === 'string') {
    out.ipv6Address = r['ipv6_address'];
    if (!isIpv6(out.ipv6Address)) p.error([...path, 'ipv6_address'], `found "${out.ipv6Address}", expected an IPv6 address`);
  }
  if (typeof r['mac_address'] === 'string') out.macAddress = r['mac_address'];
  return out;
}

export function normalizeServiceNetworks(
  svc: Raw,
  mode: NetworkMode,
  path: KeyPath,
  p: Problems,
): Record<string, ServiceNetwork> {
  const v = svc['networks'];
  const at = [...path, 'networks'];
  // Compose refuses both keys together, even `network_mode: bridge` (Docker's own bridge, which tscompose
  // treats as the project's default network).
  const hasMode = svc['network_mode'] !== undefined && svc['network_mode'] !== null;
  if (hasMode && v !== undefined && v !== null) p.error(at, `'network_mode' and 'networks' cannot be combined`);
  if (mode.kind !== 'bridge') return {};
  const out: Record<string, ServiceNetwork> = {};
  if (Array.isArray(v)) for (const name of v) out[scalarString(name)] = { aliases: [], priority: 0 };
  else if (isRaw(v)) for (const [name, cfg] of Object.entries(v)) out[name] = serviceNetwork(cfg, [...at, name], p);
  else out['default'] = { aliases: [], priority: 0 };
  return out;
}

/** "host:ip", "host=ip" (the first ':' or '=' separates, so "host:::1" is IPv6 ::1); "[::1]" loses its brackets. */
export function normalizeExtraHosts(v: unknown, path: KeyPath, p: Problems): ExtraHost[] {
  const strip = (ip: string): string => ip.trim().replace(/^\[(.*)\]$/, '$1');
  const out: ExtraHost[] = [];
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = scalarString(item);
      const m = /^([^:=]+)[:=](.+)$/.exec(s);
      if (!m) p.error([...path, i], `found "${s}", expected "hostname:ip" or "hostname=ip"`);
      else out.push({ hostname: (m[1] as string).trim(), ip: strip(m[2] as string) });
    });
  } else if (isRaw(v)) {
    for (const [hostname, ips] of Object.entries(v)) {
      for (const ip of Array.isArray(ips) ? ips : [ips]) out.push({ hostname, ip: strip(scalarString(ip)) });
    }
  }
  return out;
}
