/**
 * Top-level `networks:` and `volumes:`. Host-side names: `name:` if given, else `<project>_<key>`; an
 * external one is `name:` or the key itself (also the legacy `external: {name: x}`). A `default` network is
 * added when a service uses it without declaring it, as Compose does.
 */
import type { IpamPool, Network, Volume } from './model.js';
import type { KeyPath } from './source.js';
import { extensionsOf, isRaw, listOrDict, rawAt, scalarString, type Problems, type Raw } from './normalize-util.js';
import { parseBool } from './units.js';
import { isCidr, isIp } from './parse-ip.js';

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rawAt(v))) out[k] = scalarString(val);
  return out;
}

function flag(r: Raw, key: string, path: KeyPath, p: Problems): boolean {
  if (r[key] === undefined || r[key] === null) return false;
  return p.take(parseBool(r[key]), [...path, key], r[key]) ?? false;
}

function externalName(r: Raw, key: string, project: string, path: KeyPath, p: Problems): { external: boolean; name: string } {
  const ext = r['external'];
  const explicit = typeof r['name'] === 'string' && r['name'] !== '' ? r['name'] : undefined;
  if (isRaw(ext)) {
    p.warn([...path, 'external'], `"external: {name: ...}" is deprecated, use "external: true" with "name:"`);
    const legacy = typeof ext['name'] === 'string' ? ext['name'] : undefined;
    return { external: true, name: explicit ?? legacy ?? key };
  }
  const external = ext === undefined || ext === null ? false : (p.take(parseBool(ext), [...path, 'external'], ext) ?? false);
  return { external, name: explicit ?? (external ? key : `${project}_${key}`) };
}

/** An external network/volume exists already: what it would be created with does not apply. */
function warnIgnoredForExternal(r: Raw, keys: readonly string[], what: string, path: KeyPath, p: Problems): void {
  for (const k of keys) {
    if (r[k] !== undefined && r[k] !== null) p.warn([...path, k], `ignored: ${what} is external (it exists already and is not created)`);
  }
}

function ipamPool(v: unknown, path: KeyPath, p: Problems): IpamPool {
  const r = rawAt(v);
  const pool: IpamPool = { auxAddresses: stringMap(r['aux_addresses']) };
  if (typeof r['subnet'] === 'string') {
    if (!isCidr(r['subnet'])) p.error([...path, 'subnet'], `found "${r['subnet']}", expected a subnet in CIDR form such as 172.28.0.0/16`);
    pool.subnet = r['subnet'];
  }
  if (typeof r['ip_range'] === 'string') {
    if (!isCidr(r['ip_range'])) p.error([...path, 'ip_range'], `found "${r['ip_range']}", expected a range in CIDR form such as 172.28.5.0/24`);
    pool.ipRange = r['ip_range'];
  }
  if (typeof r['gateway'] === 'string') {
    if (!isIp(r['gateway'])) p.error([...path, 'gateway'], `found "${r['gateway']}", expected an IP address`);
    pool.gateway = r['gateway'];
  }
  return pool;
}

export function normalizeNetwork(key: string, v: unknown, project: string, path: KeyPath, p: Problems): Network {
  const r = rawAt(v);
  const ipam = rawAt(r['ipam']);
  const config = Array.isArray(ipam['config']) ? ipam['config'] : [];
  const net: Network = {
    ...externalName(r, key, project, path, p),
    driver: typeof r['driver'] === 'string' ? r['driver'] : 'bridge',
    driverOpts: stringMap(r['driver_opts']),
    internal: flag(r, 'internal', path, p),
    attachable: flag(r, 'attachable', path, p),
    enableIpv6: flag(r, 'enable_ipv6', path, p),
    labels: listOrDict(r['labels'], () => ''),
    ipam: { config: config.map((c, i) => ipamPool(c, [...path, 'ipam', 'config', i], p)) },
  };
  if (typeof ipam['driver'] === 'string') net.ipam.driver = ipam['driver'];
  if (net.external) warnIgnoredForExternal(r, ['driver', 'driver_opts', 'ipam', 'internal', 'enable_ipv6'], `network "${key}"`, path, p);
  const ext = extensionsOf(r);
  if (Object.keys(ext).length > 0) net.extensions = ext;
  return net;
}

export function normalizeVolume(key: string, v: unknown, project: string, path: KeyPath, p: Problems): Volume {
  const r = rawAt(v);
  const named = externalName(r, key, project, path, p);
  if (named.external) warnIgnoredForExternal(r, ['driver', 'driver_opts'], `volume "${key}"`, path, p);
  const vol: Volume = {
    ...named,
    driver: typeof r['driver'] === 'string' ? r['driver'] : 'local',
    driverOpts: stringMap(r['driver_opts']),
    labels: listOrDict(r['labels'], () => ''),
  };
  const ext = extensionsOf(r);
  if (Object.keys(ext).length > 0) vol.extensions = ext;
  return vol;
}

export function defaultNetwork(project: string): Network {
  return {
    name: `${project}_default`,
    driver: 'bridge',
    driverOpts: {},
    external: false,
    internal: false,
    attachable: false,
    enableIpv6: false,
    labels: {},
    ipam: { config: [] },
  };
}
