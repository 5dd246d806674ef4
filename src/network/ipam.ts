/**
 * IPv4 address management: subnets from pools, gateways, container and virtual addresses. Pure.
 *
 * Pools are written "BASE/PREFIX:SIZE" ("10.213.0.0/16:24" = the /24s of 10.213.0.0/16). A subnet is
 * picked only if it overlaps none of `used` (host routes, host addresses, other tscompose networks).
 * In a subnet: .1 (or ipam gateway) is the gateway, containers are allocated upwards from the first
 * free host address (inside ip_range when given), per-service virtual IPs downwards from the last.
 */
import { TscError } from '../errors.js';

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

export interface Pool {
  range: Cidr;
  size: number;
}

export function ipToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) throw new TscError('NETWORK', `invalid IPv4 address "${ip}"`);
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) throw new TscError('NETWORK', `invalid IPv4 address "${ip}"`);
    n = n * 256 + o;
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseCidr(s: string): Cidr {
  const [ip, p] = s.split('/');
  const prefix = p === undefined ? 32 : Number(p);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new TscError('NETWORK', `invalid IPv4 subnet "${s}"`);
  return { base: (ipToInt(ip) & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: string | number): boolean {
  const n = typeof ip === 'string' ? ipToInt(ip) : ip;
  return ((n & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

export function parsePool(s: string): Pool {
  const m = /^([\d.]+\/\d+):(\d+)$/.exec(s.trim());
  if (!m || m[1] === undefined || m[2] === undefined) throw new TscError('NETWORK', `invalid address pool "${s}" (want BASE/PREFIX:SIZE)`);
  const range = parseCidr(m[1]);
  const size = Number(m[2]);
  if (size < range.prefix || size > 30) throw new TscError('NETWORK', `invalid address pool "${s}": size /${size}`);
  return { range, size };
}

export const DEFAULT_POOLS = ['10.213.0.0/16:24', '10.214.0.0/16:24'];

/** First subnet of the pools that overlaps nothing in `used`; undefined when all are taken. */
export function pickSubnet(pools: Pool[], used: Cidr[]): Cidr | undefined {
  for (const pool of pools) {
    const step = cidrSize({ base: 0, prefix: pool.size });
    const end = pool.range.base + cidrSize(pool.range);
    for (let b = pool.range.base; b < end; b += step) {
      const c = { base: b >>> 0, prefix: pool.size };
      if (!used.some((u) => overlaps(u, c))) return c;
    }
  }
  return undefined;
}

export function defaultGateway(subnet: Cidr): string {
  return intToIp(subnet.base + 1);
}

/** Usable host addresses of a subnet: [first, last] (network and broadcast excluded for prefix < 31). */
export function hostRange(c: Cidr): [number, number] {
  if (c.prefix >= 31) return [c.base, c.base + cidrSize(c) - 1];
  return [c.base + 1, c.base + cidrSize(c) - 2];
}

/** Lowest free address of `subnet` (inside `ipRange` when given) not in `taken`. */
export function allocateAddress(subnet: Cidr, taken: ReadonlySet<string>, ipRange?: Cidr): string {
  const [lo, hi] = hostRange(ipRange ?? subnet);
  const [slo, shi] = hostRange(subnet);
  for (let n = Math.max(lo, slo); n <= Math.min(hi, shi); n++) {
    const ip = intToIp(n);
    if (!taken.has(ip)) return ip;
  }
  throw new TscError('NETWORK', `address pool ${formatCidr(ipRange ?? subnet)} is exhausted`);
}

/** Highest free address (virtual IPs of services are taken from the top of the subnet). */
export function allocateFromTop(subnet: Cidr, taken: ReadonlySet<string>): string {
  const [lo, hi] = hostRange(subnet);
  for (let n = hi; n >= lo; n--) {
    const ip = intToIp(n);
    if (!taken.has(ip)) return ip;
  }
  throw new TscError('NETWORK', `subnet ${formatCidr(subnet)} is exhausted`);
}
