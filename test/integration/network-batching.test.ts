/**
 * The network layer does no redundant host work: a second ensureNetworks of an unchanged project loads no
 * nft rules again, and detaches that run at once share tsc-net processes. Counted through a wrapped host.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalNetworkManager } from '../../src/network/manager.js';
import { realHost, type Host } from '../../src/network/host.js';
import { net, project, svc, uniq } from './network-fixture.js';

describe('network host work is batched and not repeated', () => {
  const root = mkdtempSync(join(tmpdir(), 'tsc-netbatch-'));
  const calls = { nft: 0, ip: 0, detach: 0, detached: 0 };
  const real = realHost();
  const host: Host = {
    ...real,
    nft: async (s) => {
      calls.nft++;
      await real.nft(s);
    },
    ipBatch: async (l) => {
      if (l.length) calls.ip++;
      await real.ipBatch(l);
    },
    tscNet: async (args) => {
      if (args[0] === 'nftdel') calls.nft++; // the table's deletion, without an nft script
      if (args[0] === 'detach') {
        calls.detach++;
        calls.detached += args.filter((a) => a.startsWith('/')).length;
      }
      await real.tscNet(args);
    },
  };
  // an internal network: no ip_forward hold, nothing host-wide touched
  const p = project(uniq('nb'), { w: svc('w', { replicas: 4, networks: { n: { aliases: [], priority: 0 } } }) }, { n: net('n', { internal: true }) });
  const nm = new LocalNetworkManager({ root, host, dns: false });

  afterAll(async () => {
    await nm.cleanupProject(p.name).catch(() => undefined);
    await nm.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('skips nft on an unchanged project and detaches many containers in fewer tsc-net calls', async () => {
    await nm.ensureNetworks(p);
    expect(calls.nft).toBe(1);
    expect(nm.lb.pid).toBeUndefined(); // warmed with the manager, let go: no TCP port in this project
    await nm.ensureNetworks(p);
    expect(calls.nft).toBe(1); // same rules, bridges kept: nothing to load

    const ids = [1, 2, 3, 4].map((n) => `${p.name}-w-${n}`);
    const netns: string[] = [];
    for (const [i, id] of ids.entries()) {
      const a = await nm.attach({ project: p, containerId: id, containerName: id, service: 'w', number: i + 1 });
      netns.push(a.netns as string);
    }
    for (const ns of netns) expect(existsSync(ns)).toBe(true);
    await Promise.all(ids.map((id) => nm.detach(id)));
    expect(calls.detached).toBe(4);
    expect(calls.detach).toBeLessThan(4);
    for (const ns of netns) expect(existsSync(ns)).toBe(false);

    await nm.cleanupProject(p.name);
    expect(calls.nft).toBe(2); // the table goes
  });
});
