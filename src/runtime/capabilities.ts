/**
 * Capability set of a container: Docker's TweakCapabilities (moby daemon/pkg/oci/caps/utils.go).
 * privileged → all; cap_add ALL → all minus cap_drop; cap_drop ALL → only cap_add; else defaults − drop + add.
 */
import { TscError } from '../errors.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './oci-defaults.js';

/** "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" → "CAP_NET_ADMIN"; "all" → "ALL". Unknown names throw. */
export function normalizeCapability(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const cap = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!ALL_CAPABILITIES.includes(cap)) {
    throw new TscError('SPEC_INVALID', `unknown capability: "${name}"`);
  }
  return cap;
}

/**
 * @param hostCaps the capabilities this host can grant at all (the bounding set of the engine); "all"
 *   (privileged, cap_add ALL) means all of those, as a privileged container cannot exceed its runtime.
 */
export function containerCapabilities(
  opts: { privileged: boolean; capAdd: readonly string[]; capDrop: readonly string[] },
  hostCaps: readonly string[] = ALL_CAPABILITIES,
): string[] {
  const all = ALL_CAPABILITIES.filter((c) => hostCaps.includes(c));
  if (opts.privileged) return all;
  const add = opts.capAdd.map(normalizeCapability);
  const drop = opts.capDrop.map(normalizeCapability);
  let caps: string[];
  if (add.includes('ALL')) {
    caps = all.filter((c) => !drop.includes(c));
  } else if (drop.includes('ALL')) {
    caps = [...add];
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  }
  return [...new Set(caps)];
}

/** Capability names of a hex mask such as /proc/self/status `CapBnd:` (bit N = capability N). */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return ALL_CAPABILITIES.filter((_, i) => (mask & (1n << BigInt(i))) !== 0n);
}
