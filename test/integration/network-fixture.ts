/**
 * Fixture for the network integration tests: hand-made Projects, a NetworkManager on a fresh root,
 * busybox httpd "containers" (processes started by `ip netns exec` in the netns tsc-net made), async
 * commands inside a netns (never sync: the DNS server runs in this process), and a leak check.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Network, Project, Service } from '../../src/spec/model.js';
import { LocalNetworkManager } from '../../src/network/manager.js';
import type { AttachResult, NetworkInfo } from '../../src/network/api.js';

const ex = promisify(execFile);

export function svc(name: string, o: Partial<Service> = {}): Service {
  return {
    name, pullPolicy: 'missing', environment: {}, labels: {}, annotations: {}, init: false, tty: false, stdinOpen: false, privileged: false, readOnly: false,
    capAdd: [], capDrop: [], securityOpt: [], groupAdd: [], stopGracePeriodMs: 1000, ports: [], expose: [], volumes: [], volumesFrom: [], dependsOn: {},
    replicas: 1, restart: { condition: 'no' },
    resources: { blkioDeviceReadBps: [], blkioDeviceWriteBps: [], blkioDeviceReadIops: [], blkioDeviceWriteIops: [] },
    updateConfig: { parallelism: 1, delayMs: 0, order: 'stop-first', failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0 },
    networkMode: { kind: 'bridge' }, networks: {}, extraHosts: [], dns: [], dnsSearch: [], dnsOpt: [], sysctls: {}, ulimits: {}, tmpfs: [], profiles: [],
    tscompose: { lb: 'round-robin' }, extensions: {}, ...o,
  };
}

export function net(name: string, o: Partial<Network> = {}): Network {
  return { name, driver: 'bridge', driverOpts: {}, external: false, internal: false, attachable: false, enableIpv6: false, labels: {}, ipam: { config: [] }, ...o };
}

export function project(name: string, services: Record<string, Service>, networks: Record<string, Network> = {}): Project {
  return { name, workingDir: tmpdir(), composeFiles: [], services, disabledServices: {}, networks, volumes: {}, profiles: [], activeProfiles: [], extensions: {} };
}

export function uniq(prefix: string): string {
  return `${prefix}${process.pid}${Math.random().toString(36).slice(2, 6)}`;
}

export interface Ctr {
  id: string;
  ns: string;
  attach: AttachResult;
  ip: string;
  proc?: ChildProcess;
}

export class NetFixture {
  readonly root = mkdtempSync(join(tmpdir(), 'tsc-nettest-'));
  readonly nm: LocalNetworkManager;
  readonly projects = new Set<string>();
  readonly procs = new Set<ChildProcess>();
  readonly nsNames = new Set<string>();
  readonly infos: NetworkInfo[] = [];
  readonly veths: string[] = [];

  constructor(opts: { lbWorkers?: number } = {}) {
    this.nm = new LocalNetworkManager({ root: this.root, lbWorkers: opts.lbWorkers ?? 2 });
  }

  async up(p: Project): Promise<NetworkInfo[]> {
    this.projects.add(p.name);
    const infos = await this.nm.ensureNetworks(p);
    this.infos.push(...infos);
    return infos;
  }

  async attach(p: Project, service: string, number: number, name?: string): Promise<Ctr> {
    const id = name ?? `${p.name}-${service}-${number}`;
    const attach = await this.nm.attach({ project: p, containerId: id, containerName: id, service, number });
    this.veths.push(...attach.addresses.map((a) => a.hostIface));
    const ns = `tsc-${id}`;
    if (attach.resolvConf !== undefined && typeof attach.netns === 'string' && attach.netns !== 'host') {
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/resolv.conf`, attach.resolvConf);
      this.nsNames.add(ns);
    }
    return { id, ns, attach, ip: attach.addresses[0]?.address ?? '' };
  }

  /** busybox httpd in the container's netns answering `ident` on / and a slow CGI on /cgi-bin/slow. */
  startHttpd(c: Ctr, ident: string, port = 80): ChildProcess {
    const dir = join(this.root, `www-${c.id}-${port}`);
    mkdirSync(join(dir, 'cgi-bin'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), `${ident}\n`);
    writeFileSync(join(dir, 'cgi-bin', 'slow'), `#!/bin/sh\nsleep 1\nprintf 'Content-Type: text/plain\\r\\n\\r\\n${ident}\\n'\n`, { mode: 0o755 });
    const p = spawn('ip', ['netns', 'exec', c.ns, 'busybox', 'httpd', '-f', '-p', `${c.ip}:${port}`, '-h', dir], { stdio: 'ignore' });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    c.proc = p;
    return p;
  }

  stop(p: ChildProcess | undefined, sig: NodeJS.Signals = 'SIGKILL'): void {
    if (p && p.exitCode === null && p.signalCode === null) p.kill(sig);
  }

  /** Run a shell command inside a container's netns; resolves with code and output. */
  async sh(c: Ctr, cmd: string, timeoutMs = 20_000): Promise<{ code: number; out: string }> {
    try {
      const r = await ex('ip', ['netns', 'exec', c.ns, 'sh', '-c', cmd], { timeout: timeoutMs });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, out: (err.stdout ?? '') + (err.stderr ?? '') };
    }
  }

  async cleanup(): Promise<void> {
    for (const p of [...this.procs]) this.stop(p);
    for (const p of this.projects) await this.nm.cleanupProject(p).catch(() => undefined);
    await this.nm.close();
    for (const ns of this.nsNames) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Everything this fixture made that still exists. */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    for (const i of this.infos) if (!i.external && existsSync(`/sys/class/net/${i.bridge}`)) left.push(`bridge ${i.bridge}`);
    for (const v of this.veths) if (existsSync(`/sys/class/net/${v}`)) left.push(`veth ${v}`);
    for (const ns of this.nsNames) if (existsSync(`/run/netns/${ns}`)) left.push(`netns ${ns}`);
    const tables = (await ex('nft', ['list', 'tables'])).stdout;
    for (const p of this.projects) if (tables.includes(`tsc_${p}_`)) left.push(`nft table of ${p}`);
    const addrs = (await ex('ip', ['-4', '-o', 'addr'])).stdout;
    for (const i of this.infos) if (!i.external && addrs.includes(` ${i.bridge} `)) left.push(`address on ${i.bridge}`);
    // sockets: the LB listeners and DNS servers of this process (the only place tscompose opens them)
    // (called once every project of the fixture is down, so none may be left)
    for (const k of this.nm.lb.listenerKeys()) left.push(`listener ${k}`);
    for (const d of this.nm.dnsAddresses()) left.push(`dns socket ${d}:53`);
    return left;
  }
}

export function get(host: string, port: number, path = '/', timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** `total` requests with `concurrency` workers; calls `at(i)` after the i-th completes. */
export async function load(host: string, port: number, total: number, concurrency: number, at?: (done: number) => Promise<void> | void, path = '/'): Promise<{ ok: number; failed: number; bodies: Record<string, number>; errors: string[] }> {
  let next = 0;
  let done = 0;
  const r = { ok: 0, failed: 0, bodies: {} as Record<string, number>, errors: [] as string[] };
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      try {
        const g = await get(host, port, path);
        if (g.status === 200) {
          r.ok++;
          const b = g.body.trim();
          r.bodies[b] = (r.bodies[b] ?? 0) + 1;
        } else {
          r.failed++;
          r.errors.push(`status ${g.status}`);
        }
      } catch (e) {
        r.failed++;
        r.errors.push(e instanceof Error ? e.message : String(e));
      }
      done++;
      if (at) await at(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return r;
}
