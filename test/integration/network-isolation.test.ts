/**
 * Networks for real: name resolution through the embedded DNS (services, container names, aliases),
 * isolation across networks and projects, internal networks, ipv4_address, several networks per
 * container, network_mode host/none/service, external networks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetFixture, net, project, svc, uniq, type Ctr } from './network-fixture.js';
import type { Project } from '../../src/spec/model.js';

const reach = (fx: NetFixture, from: Ctr, to: string): Promise<boolean> =>
  fx.sh(from, `timeout 3 busybox wget -q -O- http://${to}/`, 10_000).then((r) => r.code === 0 && r.out.trim().length > 0);

const resolve = async (fx: NetFixture, from: Ctr, name: string): Promise<string[]> => {
  const r = await fx.sh(from, `busybox nslookup ${name} ${from.attach.addresses[0]!.gateway}`);
  const after = r.out.split(/Name:\s/)[1] ?? '';
  return [...after.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!).sort();
};

describe('networks, discovery and isolation', () => {
  const fx = new NetFixture({ lbWorkers: 1 });
  let a: Project;
  let b: Project;
  const c: Record<string, Ctr> = {};

  beforeAll(async () => {
    a = project(uniq('isoa'), {
      front: svc('front', { networks: { front: { aliases: ['www'], priority: 0 } } }),
      api: svc('api', { networks: { front: { aliases: ['api-alias'], priority: 10 }, back: { aliases: [], priority: 0, ipv4Address: '10.215.77.50' } } }),
      db: svc('db', { networks: { back: { aliases: ['database'], priority: 0 } } }),
      sealed: svc('sealed', { networks: { vault: { aliases: [], priority: 0 } } }),
      side: svc('side', { networkMode: { kind: 'service', service: 'api' } }),
      hostnet: svc('hostnet', { networkMode: { kind: 'host' } }),
      nonet: svc('nonet', { networkMode: { kind: 'none' } }),
    }, {
      front: net('front'),
      back: net('back', { ipam: { config: [{ subnet: '10.215.77.0/24', auxAddresses: {} }] } }),
      vault: net('vault', { internal: true }),
    });
    a.networks.front!.name = `${a.name}_front`;
    a.networks.back!.name = `${a.name}_back`;
    a.networks.vault!.name = `${a.name}_vault`;
    b = project(uniq('isob'), {
      other: svc('other'),
      guest: svc('guest', { networks: { shared: { aliases: [], priority: 0 } } }),
    }, { shared: net(`${a.name}_front`, { external: true }) });
    await fx.up(a);
    await fx.up(b);
    for (const [p, s] of [[a, 'front'], [a, 'api'], [a, 'db'], [a, 'sealed'], [b, 'other'], [b, 'guest']] as const) {
      c[s] = await fx.attach(p, s, 1);
      fx.startHttpd(c[s]!, s);
    }
  });

  afterAll(async () => {
    await fx.cleanup();
    expect(await fx.leftovers()).toEqual([]);
  });

  it('honours ipv4_address, subnets from ipam, several networks per container in priority order', () => {
    const api = c.api!.attach.addresses;
    expect(api.map((x) => [x.network, x.iface])).toEqual([['front', 'eth0'], ['back', 'eth1']]);
    expect(api[1]!.address).toBe('10.215.77.50');
    expect(api[1]!.gateway).toBe('10.215.77.1');
    expect(c.api!.attach.resolvConf).toMatch(/^nameserver /);
    expect(c.api!.attach.hostsFile).toContain(`${api[0]!.address}\t${a.name}-api-1`);
  });

  it('resolves service names, container names and aliases of the networks a container is on', async () => {
    const dbIp = c.db!.ip;
    expect(await resolve(fx, c.api!, 'db')).toEqual([dbIp]);
    expect(await resolve(fx, c.api!, 'database')).toEqual([dbIp]);
    expect(await resolve(fx, c.api!, `${a.name}-db-1`)).toEqual([dbIp]);
    expect(await resolve(fx, c.api!, 'www')).toEqual([c.front!.ip]);
    expect(await resolve(fx, c.front!, 'api-alias')).toEqual([c.api!.ip]);
    expect((await fx.sh(c.api!, 'timeout 5 busybox wget -q -O- http://database/')).out.trim()).toBe('db');
  });

  it('does not resolve names of networks the container is not on, nor of other projects', async () => {
    expect(await resolve(fx, c.front!, 'db')).toEqual([]);
    expect(await resolve(fx, c.other!, 'db')).toEqual([]);
    expect(await resolve(fx, c.other!, 'front')).toEqual([]);
  });

  it('containers reach containers on their own networks only', async () => {
    expect(await reach(fx, c.api!, c.db!.ip)).toBe(true);
    expect(await reach(fx, c.api!, c.front!.ip)).toBe(true);
    expect(await reach(fx, c.front!, c.db!.ip)).toBe(false); // front is not on back
    expect(await reach(fx, c.db!, c.front!.ip)).toBe(false);
  });

  it('containers of another project cannot reach this project, nor its gateway services', async () => {
    expect(await reach(fx, c.other!, c.front!.ip)).toBe(false);
    expect(await reach(fx, c.other!, c.db!.ip)).toBe(false);
    expect(await reach(fx, c.front!, c.other!.ip)).toBe(false);
    const aGw = c.front!.attach.addresses[0]!.gateway;
    const r = await fx.sh(c.other!, `busybox nslookup front ${aGw}`, 10_000);
    expect(r.out).not.toMatch(/Name:\s+front/);
  });

  it('an internal network has no way out', async () => {
    const r = await fx.sh(c.sealed!, 'ip route');
    expect(r.out).not.toMatch(/default/);
    expect(await reach(fx, c.sealed!, c.front!.ip)).toBe(false);
    expect(await reach(fx, c.sealed!, c.other!.ip)).toBe(false);
    expect(await reach(fx, c.sealed!, c.front!.attach.addresses[0]!.gateway)).toBe(false);
  });

  it('external networks are joined, not created', async () => {
    expect(c.guest!.attach.addresses[0]!.bridge).toBe(c.front!.attach.addresses[0]!.bridge);
    expect(await reach(fx, c.guest!, c.front!.ip)).toBe(true);
  });

  it('network_mode service:, host and none', async () => {
    const side = await fx.nm.attach({ project: a, containerId: `${a.name}-side-1`, containerName: `${a.name}-side-1`, service: 'side', number: 1 });
    expect(side.netns).toBe(c.api!.attach.netns);
    const host = await fx.nm.attach({ project: a, containerId: `${a.name}-hostnet-1`, containerName: `${a.name}-hostnet-1`, service: 'hostnet', number: 1 });
    expect(host.netns).toBe('host');
    const none = await fx.nm.attach({ project: a, containerId: `${a.name}-nonet-1`, containerName: `${a.name}-nonet-1`, service: 'nonet', number: 1 });
    expect(none.netns).toBeUndefined();
    expect(none.addresses).toEqual([]);
  });

  it('an ipam subnet that overlaps a host route is refused', async () => {
    const taken = c.front!.attach.addresses[0]!.address.replace(/\.\d+$/, '.0/24'); // front's bridge route
    const bad = project(uniq('isoc'), { x: svc('x', { networks: { n: { aliases: [], priority: 0 } } }) }, { n: net('n', { ipam: { config: [{ subnet: taken, auxAddresses: {} }] } }) });
    fx.projects.add(bad.name);
    await expect(fx.nm.ensureNetworks(bad)).rejects.toMatchObject({ code: 'NETWORK' });
  });
});
