/**
 * Networking through the real CLI and runtime: a replicated busybox service behind the LB on a published
 * port, discovery by service name and alias, isolation between networks, and nothing left after down (which
 * an idle keep-alive client does not hold up).
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { freePort, getBody } from '../helpers/http.js';
import { StackEnv, leaksOf } from '../helpers/stack.js';

const ex = promisify(execFile);
const env = new StackEnv('net');
let port = 0;
let p: { name: string; dir: string };

const get = (path = '/'): Promise<string> => getBody(port, path);

beforeAll(async () => {
  await env.importBusybox();
  port = await freePort();
  p = env.project('net', `services:
  web:
    image: busybox:latest
    deploy: { replicas: 3 }
    stop_grace_period: 10m
    ports: ["127.0.0.1:${port}:80"]
    networks: { front: { aliases: [www] } }
    command: ["sh", "-c", "trap 'exit 0' TERM; ip -o -4 addr show eth0 > /var/www/index.html; httpd -f -p 80 -h /var/www & wait"]
  client:
    image: busybox:latest
    networks: [front]
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
  db:
    image: busybox:latest
    networks: [back]
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db > /var/www/index.html; httpd -f -p 80 -h /var/www & wait"]
networks:
  front: {}
  back: { internal: true }
`);
  await env.ok(p, ['up', '-d']);
});

afterAll(async () => {
  await env.cleanup();
});

const execIn = (service: string, cmd: string): Promise<{ code: number; out: string }> =>
  env.run(p, ['exec', '-T', service, 'sh', '-c', cmd], 30_000).then((r) => ({ code: r.status, out: (r.stdout + r.stderr).trim() }));

/** One HTTP/1.1 request on a kept-alive connection, then idle; `closedByServer` resolves at the server's close. */
async function keepAliveClient(port: number): Promise<{ closedByServer: Promise<boolean> }> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  const closedByServer = new Promise<boolean>((resolve) => sock.once('close', () => resolve(true)));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.once('data', () => resolve());
    sock.write('GET / HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n');
  });
  return { closedByServer };
}

describe('networking through the CLI', () => {
  it('the published port answers on 127.0.0.1 and 3 replicas each get at least 25% of 300 requests', async () => {
    await eventually(() => get(), { what: 'published port', timeoutMs: 60_000 });
    // `up -d` means every PID 1 runs (as Compose), not that every httpd listens yet: on a loaded host a
    // replica still starting is refused, and the LB rests it a while; the spread is over ready replicas
    await eventually(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) seen.add(await get());
      return seen.size === 3;
    }, { what: 'all 3 replicas answering', timeoutMs: 60_000 });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const b = await get();
      counts[b] = (counts[b] ?? 0) + 1;
    }
    expect(Object.keys(counts)).toHaveLength(3);
    for (const n of Object.values(counts)) expect(n).toBeGreaterThanOrEqual(75);
  });

  it('service names and aliases resolve inside containers on the same network', async () => {
    const r = await eventually(async () => {
      const x = await execIn('client', 'wget -q -O- http://web/ && wget -q -O- http://www/');
      return x.code === 0 ? x : undefined;
    }, { timeoutMs: 30_000, what: 'wget web and www from client' });
    expect(r.out.split('\n')).toHaveLength(2);
  });

  it("a container's MAC is derived from its address (02:42 + the IPv4 bytes), so a reused address keeps neighbours' ARP entries valid", async () => {
    const r = await execIn('client', "ip -o -4 addr show eth0 | awk '{print $4}'; cat /sys/class/net/eth0/address");
    const [cidr, mac] = r.out.split('\n');
    const hex = cidr!.split('/')[0]!.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
    expect(mac).toBe(['02', '42', ...hex].join(':'));
    // the bridge's MAC is fixed (from its gateway), not the lowest of its ports' that changes as they come and go
    const gw = await execIn('client', "ip route | awk '/default/ {print $3}'");
    const neigh = await execIn('client', `ping -c1 -W2 ${gw.out} >/dev/null; ip neigh show ${gw.out}`);
    const gwHex = gw.out.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
    expect(neigh.out).toContain(['02', '42', ...gwHex].join(':'));
  });

  it('a container cannot reach a service on a network it is not attached to', async () => {
    const r = await execIn('client', 'timeout 3 wget -q -O- http://db/; echo rc=$?');
    expect(r.out).not.toMatch(/^db$/m);
  });

  it('down leaves no bridge, netns, nft table or listener behind, and does not wait for an idle keep-alive client', async () => {
    const bridgesBefore = (await ex('ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout;
    expect(bridgesBefore).toMatch(/tscb/);
    // As Compose, down signals the containers at once: a client idling on a keep-alive connection through
    // the LB does not hold it up (web's 10 min grace period would, were its connections drained first)
    const idle = await keepAliveClient(port);
    await env.ok(p, ['down', '-t', '1']);
    expect(await idle.closedByServer).toBe(true);
    await eventually(() => leaksOf(env, p.name).length === 0 || undefined, { timeoutMs: 30_000, what: `no leaks: ${leaksOf(env, p.name).join(', ')}` }).catch(() => expect(leaksOf(env, p.name)).toEqual([]));
    const tables = (await ex('nft', ['list', 'tables'])).stdout;
    expect(tables).not.toContain(`tsc_${p.name}_`);
    await expect(get()).rejects.toThrow();
  });
});
