/** Many up/down cycles leave nothing behind: no bridge, veth, netns, address, nft table, socket, sysctl change. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetFixture, get, net, project, svc, uniq } from './network-fixture.js';

// the figure: 100 cycles (TSC_NET_CYCLES overrides it for a quick local run)
const CYCLES = Number(process.env.TSC_NET_CYCLES ?? 100);

describe('network up/down cycles', () => {
  it(`${CYCLES} cycles of 2 networks, 4 containers, published port and VIPs leave nothing behind`, async () => {
    const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const othersHeldForwarding = forwardHolders().length > 0;
    const fx = new NetFixture({ lbWorkers: 1 });
    try {
      for (let i = 0; i < CYCLES; i++) {
        const p = project(uniq('cyc'), {
          web: svc('web', { replicas: 2, ports: [{ target: 80, hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }], networks: { a: { aliases: [], priority: 0 }, b: { aliases: [], priority: 0 } } }),
          db: svc('db', { networks: { b: { aliases: [], priority: 0 } }, expose: [{ port: 5432, protocol: 'tcp' }] }),
          q: svc('q', { networks: { c: { aliases: [], priority: 0 } } }),
        }, { a: net('a'), b: net('b'), c: net('c', { internal: true }) });
        await fx.up(p);
        const w1 = await fx.attach(p, 'web', 1);
        await fx.attach(p, 'web', 2);
        await fx.attach(p, 'db', 1);
        await fx.attach(p, 'q', 1);
        if (i === 0) {
          fx.startHttpd(w1, 'w1');
          await fx.nm.setBackends(p.name, 'web', [{ id: w1.id }]);
          const port = fx.nm.publishedPorts(p.name)[0]!.published;
          let ok = false;
          for (let t = 0; t < 100 && !ok; t++) ok = await get('127.0.0.1', port).then((r) => r.status === 200, () => false);
          expect(ok).toBe(true);
          fx.stop(w1.proc);
        }
        await fx.nm.cleanupProject(p.name);
        expect(await fx.leftovers()).toEqual([]);
      }
    } finally {
      await fx.cleanup();
    }
    expect(await fx.leftovers()).toEqual([]);
    // Other test files may hold ip_forward on at the same time (host-wide record): this run must have let
    // go of its own hold, and when nobody else held it before or after, the original value is back.
    const mine = createHash('sha256').update(fx.root).digest('hex').slice(0, 12);
    const holders = forwardHolders();
    expect(holders.filter((h) => h.startsWith(`${mine}:`))).toEqual([]);
    if (!othersHeldForwarding && holders.length === 0) {
      expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(ipForward);
    }
  }, 60_000 + CYCLES * 15_000);
});

function forwardHolders(): string[] {
  try {
    const rec = JSON.parse(readFileSync('/run/tscompose/host/ip_forward.json', 'utf8')) as { holders?: string[] };
    return rec.holders ?? [];
  } catch {
    return [];
  }
}
