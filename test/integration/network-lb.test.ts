/**
 * The load balancer with real bridges, netns and busybox httpd backends: published ports, spreading,
 * failover when a backend dies under load, draining on scale-down.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { NetFixture, get, load, project, svc, uniq, type Ctr } from './network-fixture.js';
import type { Project } from '../../src/spec/model.js';

describe('network load balancer', () => {
  const fx = new NetFixture();
  let p: Project;
  const web: Ctr[] = [];
  let port = 0;

  beforeAll(async () => {
    const name = uniq('lb');
    p = project(name, {
      web: svc('web', { replicas: 5, ports: [{ target: 80, hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }] }),
      echo: svc('echo', { ports: [{ target: 7000, hostIp: '127.0.0.1', protocol: 'udp', mode: 'ingress' }] }),
    });
    await fx.up(p);
    for (let i = 1; i <= 5; i++) {
      const c = await fx.attach(p, 'web', i);
      fx.startHttpd(c, `web-${i}`);
      web.push(c);
    }
    // only 3 of them are "running" replicas at first
    await fx.nm.setBackends(p.name, 'web', web.slice(0, 3).map((c) => ({ id: c.id })));
    port = fx.nm.publishedPorts(p.name).find((x) => x.service === 'web')!.published;
    await eventually(async () => (await get('127.0.0.1', port)).status === 200, { what: 'published port answers' });
  });

  afterAll(async () => {
    await fx.cleanup();
    expect(await fx.leftovers()).toEqual([]);
  });

  it('published ports answer on 127.0.0.1, every replica with its own identity, each ≥ 25% of 300 requests', async () => {
    expect(fx.nm.publishedPorts(p.name)).toContainEqual({ service: 'web', target: 80, published: port, hostIp: '127.0.0.1', protocol: 'tcp' });
    const r = await load('127.0.0.1', port, 300, 6);
    expect(r.failed).toBe(0);
    expect(Object.keys(r.bodies).sort()).toEqual(['web-1', 'web-2', 'web-3']);
    for (const n of Object.values(r.bodies)) expect(n).toBeGreaterThanOrEqual(75);
  });

  it('a /udp published port forwards datagrams both ways', async () => {
    const e = await fx.attach(p, 'echo', 1);
    const code = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m,r.port,r.address));s.bind(7000,'${e.ip}')`;
    const proc = spawn('ip', ['netns', 'exec', e.ns, process.execPath, '-e', code], { stdio: 'ignore' });
    fx.procs.add(proc);
    await fx.nm.setBackends(p.name, 'echo', [{ id: e.id }]);
    const uport = fx.nm.publishedPorts(p.name).find((x) => x.protocol === 'udp')!.published;
    const sock = dgram.createSocket('udp4');
    try {
      const reply = await eventually(
        () =>
          new Promise<string | undefined>((resolve) => {
            const t = setTimeout(() => resolve(undefined), 500);
            sock.once('message', (m) => {
              clearTimeout(t);
              resolve(m.toString());
            });
            sock.send('ping', uport, '127.0.0.1');
          }),
        { what: 'udp echo' },
      );
      expect(reply).toBe('echo:ping');
    } finally {
      sock.close();
      fx.stop(proc);
    }
  });

  it('a second listener on the same port is refused (CONFLICT), not shared', async () => {
    const other = project(uniq('lbc'), { web: svc('web', { ports: [{ target: 80, published: port, hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }] }) });
    fx.projects.add(other.name);
    await expect(fx.nm.ensureNetworks(other)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('the per-service virtual IP serves in-network traffic', async () => {
    const vip = (await fx.sh(web[4]!, `busybox nslookup web ${web[4]!.attach.addresses[0]!.gateway}`)).out.match(/Address: (\d+\.\d+\.\d+\.\d+)$/m)?.[1];
    expect(vip).toBeDefined();
    expect(vip).toBe(web[4]!.attach.addresses[0]!.address.replace(/\.\d+$/, '.254'));
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) seen.add((await fx.sh(web[4]!, 'timeout 5 busybox wget -q -O- http://web/')).out.trim());
    expect([...seen].sort()).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('killing a replica under load loses < 0.1% of requests', async () => {
    let killed = false;
    const r = await load('127.0.0.1', port, 1500, 8, async (done) => {
      if (done === 400 && !killed) {
        killed = true;
        fx.stop(web[1]!.proc); // SIGKILL, no warning to the LB
      }
      if (done === 800) await fx.nm.setBackends(p.name, 'web', [web[0]!, web[2]!].map((c) => ({ id: c.id }))); // the controller saw the exit
    });
    expect(killed).toBe(true);
    expect(r.failed / 1500).toBeLessThan(0.001);
    expect(r.bodies['web-1']! + r.bodies['web-3']!).toBeGreaterThan(1100);
  });

  it('scaling 5 -> 1 under load resets no in-flight request (draining)', async () => {
    const all = [web[0]!, web[2]!, web[3]!, web[4]!];
    fx.startHttpd(web[1]!, 'web-2b'); // give it back a process (replaced replica)
    const pool = [...all, web[1]!];
    await fx.nm.setBackends(p.name, 'web', pool.map((c) => ({ id: c.id })));
    // slow in-flight requests on every replica, plus a stream of fast ones
    const slow = Promise.all(Array.from({ length: 10 }, () => get('127.0.0.1', port, '/cgi-bin/slow', 20_000)));
    const fast = load('127.0.0.1', port, 600, 4);
    await new Promise((r) => setTimeout(r, 300));
    const drains = pool.slice(1).map((c) => fx.nm.drain(p.name, 'web', c.id, 15_000));
    await Promise.all(drains);
    for (const c of pool.slice(1)) fx.stop(c.proc, 'SIGTERM');
    const [s, f] = await Promise.all([slow, fast]);
    expect(s.every((x) => x.status === 200)).toBe(true);
    expect(f.failed).toBe(0);
    const after = await load('127.0.0.1', port, 30, 3);
    expect(after.failed).toBe(0);
    expect(Object.keys(after.bodies)).toEqual(['web-1']);
  });

  it('least-connections sends new connections to the least busy replica', async () => {
    const lc = project(p.name, { web: svc('web', { ...p.services.web!, tscompose: { lb: 'least-connections' } }) });
    await fx.nm.ensureNetworks(lc);
    await eventually(async () => web[3]!.proc!.exitCode !== null || web[3]!.proc!.signalCode !== null);
    fx.startHttpd(web[3]!, 'web-4b');
    await eventually(async () => (await fx.sh(web[0]!, `timeout 2 busybox wget -q -O- http://${web[3]!.ip}/`)).out.includes('web-4b'));
    // occupy web-1 with slow requests, then add web-4b: fast requests go to the idle one
    await fx.nm.setBackends(p.name, 'web', [{ id: web[0]!.id }]);
    const slow = Promise.all(Array.from({ length: 6 }, () => get('127.0.0.1', port, '/cgi-bin/slow', 20_000)));
    await eventually(async () => ((await fx.nm.lb.stats()).active[web[0]!.id] ?? 0) >= 6, { intervalMs: 20 });
    await fx.nm.setBackends(p.name, 'web', [web[0]!, web[3]!].map((c) => ({ id: c.id })));
    const fast = await load('127.0.0.1', port, 20, 1);
    await slow;
    expect(fast.failed).toBe(0);
    expect(fast.bodies['web-4b'] ?? 0).toBeGreaterThanOrEqual(15);
  });
});
