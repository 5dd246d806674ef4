/**
 * nftables rules, rendered as `nft -f` text. Pure; unit-tested as golden text.
 *
 * One table per project, `table inet tsc_<project>`, deleted as a whole with the project (nothing else in
 * the ruleset is touched; no policy is changed; base chains have policy accept and only drop what the
 * isolation needs). Per network of the project (bridge B, subnet S):
 *   forward:  new traffic routed INTO B from anywhere else is dropped (replies to B's own outbound are not),
 *             so containers of other networks / projects / the outside cannot reach B's containers;
 *             internal networks: nothing routed OUT of B either (no way out).
 *   input:    S's host-side addresses (gateway, per-service virtual IPs) accept only from B and loopback,
 *             so a container of another network cannot reach B's services through the LB;
 *             internal networks: B's containers reach no other host address.
 *   postrouting (nat): outbound traffic of non-internal S is masqueraded.
 * A global `table inet tscompose_forward_guard` exists only while tscompose turned ip_forward on: it keeps
 * the host from forwarding between its own (non-tscompose) interfaces, as it did before.
 */
import { BRIDGE_PREFIX } from './names.js';
import { byteOrder } from '../order.js';

export interface RuleNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

const q = (s: string): string => `"${s.replace(/"/g, '')}"`;

export function renderProjectTable(table: string, networks: RuleNetwork[]): string {
  const fwd: string[] = [];
  const inp: string[] = [];
  const nat: string[] = [];
  for (const n of [...networks].sort((a, b) => byteOrder(a.bridge, b.bridge))) {
    const b = q(n.bridge);
    if (!n.internal) fwd.push(`oifname ${b} iifname != ${b} ct state established,related accept`);
    fwd.push(`oifname ${b} iifname != ${b} drop`);
    if (n.internal) fwd.push(`iifname ${b} oifname != ${b} drop`);
    inp.push(`ip daddr ${n.subnet} iifname != { "lo", ${b} } drop`);
    if (n.internal) inp.push(`iifname ${b} ip daddr != ${n.subnet} drop`);
    if (!n.internal) nat.push(`ip saddr ${n.subnet} oifname != ${b} masquerade`);
  }
  const chain = (name: string, hook: string, rules: string[]): string =>
    `  chain ${name} {\n    ${hook}\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  return (
    `table inet ${table} {\n` +
    chain('forward', 'type filter hook forward priority -1; policy accept;', fwd) +
    chain('input', 'type filter hook input priority -1; policy accept;', inp) +
    chain('postrouting', 'type nat hook postrouting priority 100; policy accept;', nat) +
    `}\n`
  );
}

/** Replace the table atomically (one nft transaction): create-if-missing, delete, re-add. */
export function renderReplace(table: string, networks: RuleNetwork[]): string {
  return `table inet ${table}\ndelete table inet ${table}\n` + renderProjectTable(table, networks);
}

export const GUARD_TABLE = 'tscompose_forward_guard';

export function renderForwardGuard(): string {
  return (
    `table inet ${GUARD_TABLE}\ndelete table inet ${GUARD_TABLE}\n` +
    `table inet ${GUARD_TABLE} {\n  chain forward {\n    type filter hook forward priority -2; policy accept;\n` +
    `    iifname != "${BRIDGE_PREFIX}*" oifname != "${BRIDGE_PREFIX}*" drop\n  }\n}\n`
  );
}
