/** Address syntax checks (no DNS, no I/O) for ports' host IPs, static service addresses and IPAM pools. */

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** Hex groups and colons (at least two), optionally ending in an IPv4 part; "::" at most once. */
export function isIpv6(s: string): boolean {
  const m = /^([0-9a-fA-F:]+?)(?::((?:\d{1,3}\.){3}\d{1,3}))?$/.exec(s);
  if (!m) return false;
  if (m[2] !== undefined && !IPV4.test(m[2])) return false;
  const colons = s.match(/:/g)?.length ?? 0;
  return colons >= 2 && s.split('::').length <= 2 && (m[1] ?? '').split(':').every((g) => g.length <= 4);
}

export function isIp(s: string): boolean {
  return isIpv4(s) || isIpv6(s);
}

/** "10.0.0.0/8", "fd00::/64": an address and a prefix length that fits it. */
export function isCidr(s: string): boolean {
  const [addr = '', prefix, extra] = s.split('/');
  if (prefix === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  return (isIpv4(addr) && bits <= 32) || (isIpv6(addr) && bits <= 128);
}
