/**
 * Pure content of the /etc/hosts, /etc/hostname and /etc/resolv.conf files a container gets when the
 * network layer does not supply its own (ContainerCreateRequest.hostsFile / resolvConf).
 */
import type { Service } from '../spec/model.js';

export function defaultHostsFile(hostname: string, extraHosts: Service['extraHosts'], hostGateway?: string): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of extraHosts) {
    const ip = h.ip === 'host-gateway' ? hostGateway : h.ip;
    if (ip !== undefined) lines.push(`${ip}\t${h.hostname}`);
  }
  if (hostname !== 'localhost') lines.push(`127.0.1.1\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf from the service's dns / dns_search / dns_opt; where the service sets no nameserver the
 * host's servers are kept (minus loopback ones, which do not work from another netns, unless the
 * container shares the host's network), as Docker does.
 */
export function resolvConfFor(spec: Pick<Service, 'dns' | 'dnsSearch' | 'dnsOpt'>, hostResolv: string, hostNetwork: boolean): string {
  const host = parseResolv(hostResolv);
  let servers = spec.dns.length > 0 ? spec.dns : host.nameservers;
  if (spec.dns.length === 0 && !hostNetwork) servers = servers.filter((s) => !/^127\.|^::1$/.test(s));
  const search = spec.dnsSearch.length > 0 ? spec.dnsSearch : host.search;
  const options = spec.dnsOpt.length > 0 ? spec.dnsOpt : host.options;
  const lines: string[] = [];
  for (const s of servers) lines.push(`nameserver ${s}`);
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function parseResolv(text: string): { nameservers: string[]; search: string[]; options: string[] } {
  const out = { nameservers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if ((key === 'search' || key === 'domain') && rest.length > 0) out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/**
 * Make sure a hosts file made elsewhere (the network layer) names the container's own hostname, as
 * Docker does: added to the container's own-address line (the first line that is not a localhost line),
 * or on a 127.0.1.1 line when there is none.
 */
export function hostsWithHostname(hosts: string, hostname: string): string {
  const lines = hosts.replace(/\n$/, '').split('\n');
  const names = (l: string): string[] => l.trim().split(/\s+/).slice(1);
  if (lines.some((l) => !l.trimStart().startsWith('#') && names(l).includes(hostname))) return hosts;
  const own = lines.findIndex((l) => {
    const t = l.trim();
    return t !== '' && !t.startsWith('#') && !t.startsWith('127.0.0.1') && !t.startsWith('::1');
  });
  if (own === -1) lines.push(`127.0.1.1\t${hostname}`);
  else lines[own] = `${lines[own]} ${hostname}`;
  return `${lines.join('\n')}\n`;
}
