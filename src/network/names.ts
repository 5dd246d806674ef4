/**
 * Kernel object names. Linux interface names are at most 15 characters (IFNAMSIZ-1); ours are a fixed
 * prefix plus a hash of what they belong to, so they never clash between projects or between runs that
 * use different state roots:
 *   bridge   "tscb" + 10 hex of sha256(scope \0 network)              (14 chars)
 *   veth     "tscv" + 10 hex of sha256(containerId \0 network)        (14 chars, host side)
 *   netns    /run/netns/tsc-<containerId>                              (visible to `ip netns`)
 *   nft      table inet "tsc_<project>_<6 hex of scope>"               (one table per project)
 *   MAC      02:42 + the 4 bytes of the IPv4 address (container side of a veth, and a bridge from its gateway)
 * `scope` is the state root plus the project name (see projectScope), so the same project name under two
 * TSCOMPOSE_ROOTs (parallel test runs) never shares a bridge or a table.
 * Pure; unit-tested.
 */
import { createHash } from 'node:crypto';

export const BRIDGE_PREFIX = 'tscb';
export const VETH_PREFIX = 'tscv';
export const NETNS_DIR = '/run/netns';
export const IFNAME_MAX = 15;

function hex(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

export function projectScope(root: string, project: string): string {
  return `${root}\0${project}`;
}

export function bridgeName(scope: string, network: string): string {
  return BRIDGE_PREFIX + hex('bridge', scope, network).slice(0, 10);
}

export function vethName(containerId: string, network: string): string {
  return VETH_PREFIX + hex('veth', containerId, network).slice(0, 10);
}

export function netnsPath(containerId: string): string {
  return `${NETNS_DIR}/tsc-${containerId}`;
}

export function nftTableName(scope: string, project: string): string {
  return `tsc_${project.replace(/[^A-Za-z0-9_-]/g, '_')}_${hex('table', scope).slice(0, 6)}`;
}

/** Interface names inside the container: eth0, eth1, ... */
export function containerIface(index: number): string {
  return `eth${index}`;
}

export function validIfname(name: string): boolean {
  return name.length > 0 && name.length <= IFNAME_MAX && /^[A-Za-z0-9_.-]+$/.test(name);
}

/**
 * The MAC address that goes with an IPv4 address on our bridges, as Docker's bridge driver does. Fixed MACs
 * matter twice: a bridge left to itself takes the lowest MAC of its ports and changes it when a port goes,
 * so every container's ARP entry for the gateway goes stale and replies vanish for seconds; and a reused
 * container address keeps the MAC that neighbours have cached.
 */
export function macForAddress(ipv4: string): string {
  return ['02', '42', ...ipv4.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}
