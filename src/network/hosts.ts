/**
 * /etc/hosts and /etc/resolv.conf contents for a container. Pure.
 * Service discovery itself is the embedded DNS server on each network's gateway (dns.ts); /etc/hosts only
 * holds localhost, the container's own names and `extra_hosts`, so it never goes stale.
 */
import type { ExtraHost } from '../spec/model.js';

export interface HostsInput {
  hostname: string;
  /** The container's own addresses, first = primary. */
  addresses: string[];
  /** Other names of the container itself (container name, service name, aliases). */
  ownNames: string[];
  extraHosts: ExtraHost[];
  /** Address "host-gateway" resolves to (the primary network's gateway). */
  hostGateway?: string;
}

export function renderHosts(h: HostsInput): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const own = [...new Set([h.hostname, ...h.ownNames])].filter(Boolean);
  if (h.addresses[0] !== undefined) lines.push(`${h.addresses[0]}\t${own.join(' ')}`);
  else lines.push(`127.0.1.1\t${own.join(' ')}`);
  for (const e of h.extraHosts) {
    const ip = e.ip === 'host-gateway' ? h.hostGateway : e.ip;
    if (ip !== undefined) lines.push(`${ip}\t${e.hostname}`);
  }
  return lines.join('\n') + '\n';
}

export interface ResolvInput {
  /** Embedded DNS addresses (the gateways of the container's networks, primary first). */
  nameservers: string[];
  /** `dns:` of the service, used instead of the embedded server when set. */
  dns: string[];
  dnsSearch: string[];
  dnsOpt: string[];
}

export function renderResolvConf(r: ResolvInput): string {
  const servers = r.dns.length > 0 ? r.dns : r.nameservers;
  const lines = servers.slice(0, 3).map((s) => `nameserver ${s}`);
  if (r.dnsSearch.length > 0) lines.push(`search ${r.dnsSearch.join(' ')}`);
  const opts = r.dnsOpt.length > 0 ? r.dnsOpt : ['ndots:0'];
  lines.push(`options ${opts.join(' ')}`);
  return lines.join('\n') + '\n';
}
