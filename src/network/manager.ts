/**
 * NetworkManager implementation (see api.ts for the lifecycle). Kernel objects per project:
 *   bridges (one per own network, gateway address + per-service virtual IPs on it), one netns + veths per
 *   container (tsc-net), one nftables table; ip_forward turned on only while some non-internal network
 *   exists, and put back as found when the last one goes.
 * Bookkeeping:
 *   <root>/network/<project>.json            the project's networks and listeners (atomic writes)
 *   <root>/network/<project>.d/<id>.json     one record per attached container (written before tsc-net runs)
 *   <runDir>/networks/<name>.json            host-wide registry of tscompose networks (for `external`)
 *   <runDir>/addr/<bridge>/<ip>              address leases (O_EXCL create = atomic, also across projects)
 *   /run/tscompose/host/ip_forward.json      the original ip_forward value and who needs it on (host-wide)
 *   /run/tscompose/host/lock                 host-wide lock around subnet choice and ip_forward
 * In-process (supervisor): the LoadBalancer (published ports + virtual IP ports) and the DnsServer.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync, openSync, closeSync, statSync, promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TscError, errnoCode } from '../errors.js';
import type { Network, Project, Service } from '../spec/model.js';
import type { AttachRequest, AttachResult, AttachedAddress, Backend, NetworkInfo, NetworkManager, NetworkManagerOptions, PublishedPort, TeardownOptions, TeardownResult } from './api.js';
import { DnsServer } from './dns.js';
import { renderHosts, renderResolvConf } from './hosts.js';
import { realHost, type Host } from './host.js';
import { allocateAddress, allocateFromTop, contains, defaultGateway, DEFAULT_POOLS, formatCidr, parseCidr, parsePool, pickSubnet, overlaps } from './ipam.js';
import { LoadBalancer } from './lb/balancer.js';
import type { BackendSpec } from './lb/picker.js';
import { bridgeName, containerIface, macForAddress, netnsPath, nftTableName, projectScope, vethName } from './names.js';
import { GUARD_TABLE, renderForwardGuard, renderReplace } from './nft.js';
import { addHolder, parseForwardRecord, removeHolders, tablesToCheck, type ForwardRecord } from './forward-hold.js';
import { byteOrder } from '../order.js';
import { readLockOwner } from '../state/lock-owner.js';

interface NetState extends NetworkInfo {
  /** We made the bridge (and remove it); false for external networks. */
  owned: boolean;
  /** Per-service virtual IPs on this network. */
  vips: Record<string, string>;
}

interface CtrState {
  id: string;
  name: string;
  service: string;
  number: number;
  netns?: string;
  links: AttachedAddress[];
  /** Per network key: the names this container answers to there (aliases). */
  aliases: Record<string, string[]>;
  hostname: string;
}

interface ListenerState {
  key: string;
  service: string;
  target: number;
  host: string;
  published: number;
  protocol: 'tcp' | 'udp';
  /** 'published' ports are host listeners; 'vip' ones listen on a service's virtual IP. */
  kind: 'published' | 'vip';
}

interface ProjectState {
  project: string;
  table: string;
  networks: Record<string, NetState>;
  containers: Record<string, CtrState>;
  listeners: ListenerState[];
  ipForwardHeld: boolean;
  /** The nft script last applied for this project (skip `nft` when a pass would load the same rules). */
  rulesApplied?: string;
}

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
/** Host-wide facts, shared by every tscompose of this host whatever its state root or run dir: the lock
 *  around subnet choice and the ip_forward record. */
const HOST_DIR = '/run/tscompose/host';

/**
 * The ip_forward record replaced whole (a process killed while writing it in place left an empty file:
 * read as no record, the next holder took ip_forward's "original" value to be the 1 we had set, and the
 * last one to let go then left forwarding on, with the guard table).
 */
function writeRecord(f: string, rec: ForwardRecord): void {
  const tmp = `${f}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(rec));
  renameSync(tmp, f);
}

export class LocalNetworkManager implements NetworkManager {
  readonly lb: LoadBalancer;
  private readonly dns: DnsServer | undefined;
  readonly host: Host;
  private readonly root: string;
  private readonly runDir: string;
  private readonly pools: string[];
  private readonly states = new Map<string, ProjectState>();
  private readonly projects = new Map<string, Project>();
  private readonly servicePorts = new Map<string, Record<string, number[]>>();
  /** project/service -> current backends (running and healthy). */
  private readonly backends = new Map<string, Backend[]>();

  constructor(opts: NetworkManagerOptions & { host?: Host; runDir?: string }) {
    this.root = opts.root;
    this.runDir = opts.runDir ?? process.env.TSCOMPOSE_NET_RUN ?? '/run/tscompose/net';
    this.pools = opts.pools ?? (process.env.TSCOMPOSE_NET_POOLS ? process.env.TSCOMPOSE_NET_POOLS.split(',') : DEFAULT_POOLS);
    this.pools.forEach(parsePool);
    this.host = opts.host ?? realHost(opts.helperPath);
    // the helper's and tsc-lb's start-up overlap whatever the caller does before its first network call (a
    // spare supervisor waits for its project): neither is on the path of `up` then
    this.host.warm?.();
    this.lb = new LoadBalancer(opts.lbWorkers === undefined ? {} : { workers: opts.lbWorkers });
    this.lb.warm();
    this.dns = opts.dns === false ? undefined : new DnsServer({ lookup: (c, n) => this.lookup(c, n), mayForward: (c) => this.mayForward(c) });
  }

  // ------------------------------------------------------------------------------------------- state

  private stateFile(project: string): string {
    return join(this.root, 'network', `${project}.json`);
  }

  private readonly ctrDirs = new Map<string, string>();

  /** Container records live in one file each (<project>.d/<id>.json), so that two processes (the
   *  supervisor and a CLI `run`) attaching at once never overwrite each other's records. */
  private ctrDir(project: string): string {
    let d = this.ctrDirs.get(project);
    if (d === undefined) this.ctrDirs.set(project, (d = join(this.root, 'network', `${project}.d`)));
    return d;
  }

  private readonly ctrStamp = new Map<string, bigint>();

  private refreshContainers(st: ProjectState): void {
    const stamp = this.dirStamp(st.project);
    if (this.ctrStamp.get(st.project) === stamp) return;
    this.ctrStamp.set(st.project, stamp);
    const out: Record<string, CtrState> = {};
    if (stamp >= 0n) {
      for (const f of readdirSync(this.ctrDir(st.project))) {
        if (!f.endsWith('.json')) continue;
        try {
          const c = JSON.parse(readFileSync(join(this.ctrDir(st.project), f), 'utf8')) as CtrState;
          out[c.id] = c;
        } catch {
          /* being written or removed */
        }
      }
    }
    st.containers = out;
  }

  private dirStamp(project: string): bigint {
    try {
      return statSync(this.ctrDir(project), { bigint: true }).mtimeNs;
    } catch {
      return -1n;
    }
  }

  /**
   * Our own change to the records directory: when nobody else had changed it since we last read it, the
   * new stamp is ours and the in-memory records are already current (no re-read of every record after
   * each attach or detach of a scale of many replicas).
   */
  private ownChange(project: string, change: () => void): void {
    const inSync = this.ctrStamp.get(project) === this.dirStamp(project);
    change();
    if (inSync) this.ctrStamp.set(project, this.dirStamp(project));
  }

  private saveContainer(project: string, c: CtrState): void {
    const f = `${this.ctrDir(project)}/${c.id}.json`;
    this.ownChange(project, () => {
      inDir(this.ctrDir(project), () => writeFileSync(`${f}.tmp-${process.pid}`, JSON.stringify(c)));
      renameSync(`${f}.tmp-${process.pid}`, f);
    });
  }

  private removeContainer(project: string, id: string): void {
    this.ownChange(project, () => rmSync(`${this.ctrDir(project)}/${id}.json`, { force: true }));
  }

  private load(project: string): ProjectState {
    const have = this.states.get(project);
    if (have) {
      this.refreshContainers(have);
      return have;
    }
    let st: ProjectState;
    try {
      st = JSON.parse(readFileSync(this.stateFile(project), 'utf8')) as ProjectState;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw new TscError('STATE', `network state of ${project} is unreadable`, { cause: e });
      st = { project, table: nftTableName(projectScope(this.root, project), project), networks: {}, containers: {}, listeners: [], ipForwardHeld: false };
    }
    this.states.set(project, st);
    this.refreshContainers(st);
    return st;
  }

  private save(st: ProjectState): void {
    const f = this.stateFile(st.project);
    mkdirSync(join(this.root, 'network'), { recursive: true });
    const tmp = `${f}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ ...st, containers: {} }, null, 1));
    renameSync(tmp, f);
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    mkdirSync(HOST_DIR, { recursive: true });
    const lock = join(HOST_DIR, 'lock');
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const fd = openSync(lock, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
        const owner = readLockOwner(lock); // undefined: released meanwhile
        const holder = owner?.pid ?? NaN;
        // a dead holder's lock, or one left without a pid by a process killed right after making it
        if (owner?.ownerlessStale || (Number.isInteger(holder) && !alive(holder))) rmSync(lock, { force: true });
        if (Date.now() > deadline) throw new TscError('CONFLICT', `network lock ${lock} is held by pid ${holder}`);
        // held for a few ms (one helper request or two): poll often
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }

  // ------------------------------------------------------------------------------------------- leases

  private leaseDir(bridge: string): string {
    return join(this.runDir, 'addr', bridge);
  }

  private lease(bridge: string, ip: string, owner: string): boolean {
    try {
      inDir(this.leaseDir(bridge), () => writeFileSync(`${this.leaseDir(bridge)}/${ip}`, owner, { flag: 'wx' }));
      return true;
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') {
        try {
          return readFileSync(join(this.leaseDir(bridge), ip), 'utf8') === owner;
        } catch {
          return false;
        }
      }
      throw e;
    }
  }

  private leased(bridge: string): Set<string> {
    try {
      return new Set(readdirSync(this.leaseDir(bridge)));
    } catch {
      return new Set();
    }
  }

  private unlease(bridge: string, ip: string): void {
    rmSync(join(this.leaseDir(bridge), ip), { force: true });
  }

  private allocate(net: NetState, owner: string, wanted?: string, ipRange?: string): string {
    const subnet = parseCidr(net.subnet);
    if (wanted !== undefined) {
      if (!contains(subnet, wanted)) throw new TscError('NETWORK', `ipv4_address ${wanted} is outside ${net.name}'s subnet ${net.subnet}`);
      if (!this.lease(net.bridge, wanted, owner)) throw new TscError('CONFLICT', `address ${wanted} on network ${net.name} is already in use`);
      return wanted;
    }
    for (let i = 0; i < 1000; i++) {
      const ip = allocateAddress(subnet, this.leased(net.bridge), ipRange === undefined ? undefined : parseCidr(ipRange));
      if (this.lease(net.bridge, ip, owner)) return ip;
    }
    throw new TscError('NETWORK', `cannot allocate an address on ${net.name}`);
  }

  // ------------------------------------------------------------------------------------------- networks

  /** Network keys a service is on (bridge mode), highest priority first. */
  private serviceNetworks(svc: Service): string[] {
    if (svc.networkMode.kind !== 'bridge') return [];
    const keys = Object.keys(svc.networks);
    if (keys.length === 0) return ['default'];
    return keys.sort((a, b) => (svc.networks[b]?.priority ?? 0) - (svc.networks[a]?.priority ?? 0) || byteOrder(a, b));
  }

  private networkSpec(project: Project, key: string): Network {
    const n = project.networks[key];
    if (n) return n;
    if (key === 'default') {
      return { name: `${project.name}_default`, driver: 'bridge', driverOpts: {}, external: false, internal: false, attachable: false, enableIpv6: false, labels: {}, ipam: { config: [] } };
    }
    throw new TscError('NOT_FOUND', `network "${key}" is not defined in the project`);
  }

  private portsOf(project: Project, service: string): number[] {
    const svc = project.services[service];
    if (!svc) return [];
    const extra = this.servicePorts.get(project.name)?.[service] ?? [];
    const tcp = [...svc.ports.filter((p) => p.protocol === 'tcp').map((p) => p.target), ...svc.expose.filter((e) => e.protocol === 'tcp').map((e) => e.port), ...extra];
    return [...new Set(tcp)].sort((a, b) => a - b);
  }

  async ensureNetworks(project: Project, opts: { servicePorts?: Record<string, number[]> } = {}): Promise<NetworkInfo[]> {
    this.projects.set(project.name, project);
    if (opts.servicePorts) this.servicePorts.set(project.name, opts.servicePorts);
    const st = this.load(project.name);
    const scope = projectScope(this.root, project.name);
    // TCP listeners ahead: tsc-lb runs (it was warmed at construction; again if it was released since)
    const tcp = Object.keys(project.services).some((name) => this.portsOf(project, name).length > 0);
    if (tcp) this.lb.warm();
    const wanted = new Set<string>(Object.keys(project.networks));
    for (const svc of Object.values(project.services)) for (const k of this.serviceNetworks(svc)) wanted.add(k);

    // Listeners and DNS need the bridges and their addresses, not the rules: they start as soon as the
    // `ip` batch is done, while `nft` loads the rules.
    let bridgesUp!: () => void;
    let bridgesFailed!: (e: unknown) => void;
    const bridgesReady = new Promise<void>((res, rej) => {
      bridgesUp = res;
      bridgesFailed = rej;
    });
    const side = bridgesReady.then(async () => {
      await this.ensureListeners(project, st);
      if (this.dns) await Promise.all(Object.values(st.networks).filter((n) => n.owned).map((n) => this.dns!.serve(n.gateway)));
    });
    side.catch(() => undefined);
    const locked = this.withLock(async () => {
      let used: ReturnType<typeof parseCidr>[] | undefined;
      const setup: string[] = [];
      const created = new Set<string>();
      for (const key of [...wanted].sort()) {
        const spec = this.networkSpec(project, key);
        const have = st.networks[key];
        if (have && (!have.owned || this.host.linkExists(have.bridge))) continue;
        if (spec.external) {
          st.networks[key] = { ...(await this.resolveExternal(key, spec.name)), owned: false, vips: {} };
          continue;
        }
        const bridge = bridgeName(scope, key);
        const pool = spec.ipam.config[0];
        let subnet: string;
        let gateway: string;
        if (this.host.linkExists(bridge)) {
          // adopted after a crash: keep its address
          const a = (await this.host.linkAddresses(bridge)).find((c) => parseCidr(c).prefix < 32);
          if (!a) throw new TscError('NETWORK', `bridge ${bridge} exists without an address`);
          subnet = formatCidr(parseCidr(a));
          gateway = a.split('/')[0]!;
        } else {
          used ??= await this.host.usedPrefixes();
          if (pool?.subnet) {
            const c = parseCidr(pool.subnet);
            const clash = used.find((u) => overlaps(u, c));
            if (clash) throw new TscError('NETWORK', `subnet ${pool.subnet} of network ${spec.name} overlaps ${formatCidr(clash)}, already in use on this host`);
            subnet = formatCidr(c);
          } else {
            const c = pickSubnet(this.pools.map(parsePool), used);
            if (!c) throw new TscError('NETWORK', `no free subnet left in the address pools ${this.pools.join(', ')}`);
            subnet = formatCidr(c);
          }
          used.push(parseCidr(subnet));
          gateway = pool?.gateway ?? defaultGateway(parseCidr(subnet));
          const prefix = parseCidr(subnet).prefix;
          setup.push('--bridge', `${bridge},${macForAddress(gateway)},${gateway}/${prefix}`);
          created.add(bridge);
        }
        const net: NetState = { key, name: spec.name, bridge, subnet, gateway, internal: spec.internal, external: false, owned: true, vips: {} };
        st.networks[key] = net;
        this.lease(bridge, gateway, 'gateway');
        for (const aux of Object.values(pool?.auxAddresses ?? {})) this.lease(bridge, aux, 'aux');
        this.registry(net, project.name);
      }
      setup.push(...this.allocateVips(project, st, created));
      // recorded before the bridges exist: a crash in between leaves nothing cleanupProject cannot find
      this.save(st);
      // bridges (fixed MAC, gateway address, up) and virtual IPs: one helper request, rtnetlink
      if (setup.length) await this.host.tscNet(['setup', ...setup]);
      bridgesUp();
      await this.applyRules(st, created.size > 0);
    });
    locked.catch((e: unknown) => bridgesFailed(e));
    await Promise.all([locked, side]);
    this.save(st);
    if (!tcp) void this.lb.release().catch(() => undefined);
    return Object.values(st.networks).map(info);
  }

  /** Per-service virtual IPs (services with known ports) on each of their networks; returns `tsc-net setup` arguments. */
  private allocateVips(project: Project, st: ProjectState, created: ReadonlySet<string>): string[] {
    const lines: string[] = [];
    for (const [name, svc] of Object.entries(project.services)) {
      if (this.portsOf(project, name).length === 0) continue;
      for (const key of this.serviceNetworks(svc)) {
        const net = st.networks[key]!;
        if (!net.owned) continue; // no addresses of ours on somebody else's bridge
        if (net.vips[name] && this.leased(net.bridge).has(net.vips[name]!)) {
          if (created.has(net.bridge)) lines.push('--addr', `${net.bridge},${net.vips[name]}/32`);
          continue;
        }
        let vip: string | undefined;
        for (let i = 0; i < 1000 && !vip; i++) {
          const ip = allocateFromTop(parseCidr(net.subnet), this.leased(net.bridge));
          if (this.lease(net.bridge, ip, `vip:${name}`)) vip = ip;
        }
        net.vips[name] = vip!;
        lines.push('--addr', `${net.bridge},${vip}/32`);
      }
    }
    return lines;
  }

  private async resolveExternal(key: string, name: string): Promise<NetworkInfo> {
    try {
      const r = JSON.parse(readFileSync(join(this.runDir, 'networks', `${name}.json`), 'utf8')) as NetworkInfo;
      if (this.host.linkExists(r.bridge)) return { ...r, key, external: true, owned: false } as NetworkInfo;
    } catch {
      /* not a tscompose network: maybe a bridge of that name */
    }
    if (this.host.linkExists(name)) {
      const a = (await this.host.linkAddresses(name))[0];
      if (a) return { key, name, bridge: name, subnet: formatCidr(parseCidr(a)), gateway: a.split('/')[0]!, internal: false, external: true, owned: false } as NetworkInfo;
    }
    throw new TscError('NOT_FOUND', `external network "${name}" not found`);
  }

  private registry(net: NetState, project: string): void {
    mkdirSync(join(this.runDir, 'networks'), { recursive: true });
    const r: NetworkInfo & { project: string; root: string } = { ...info(net), project, root: this.root };
    writeFileSync(join(this.runDir, 'networks', `${net.name}.json`), JSON.stringify(r));
  }

  /**
   * ip_forward as it was before tscompose, for a first holder: a 1 with our guard table standing and no
   * record (lost by an older build) was ours, not the host's.
   */
  private async originalForward(): Promise<string> {
    const now = this.host.readSysctl(IP_FORWARD);
    if (now !== '1' || !this.host.nftTableExists) return now;
    return (await this.host.nftTableExists(GUARD_TABLE).catch(() => false)) ? '0' : now;
  }

  /** The project's nft table and this project's hold on ip_forward, in one nft transaction (under the lock). */
  private async applyRules(st: ProjectState, force = true): Promise<void> {
    const own = Object.values(st.networks).filter((n) => n.owned);
    const rules =
      own.length === 0
        ? `table inet ${st.table}\ndelete table inet ${st.table}\n`
        : renderReplace(st.table, own.map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.internal })));
    let script = rules;
    const hold = own.some((n) => !n.internal);
    mkdirSync(HOST_DIR, { recursive: true });
    const f = join(HOST_DIR, 'ip_forward.json');
    const me = `${createHash('sha256').update(this.root).digest('hex').slice(0, 12)}:${st.project}`;
    let rec = existsSync(f) ? parseForwardRecord(readFileSync(f, 'utf8')) : undefined;
    // nothing changed since the last time (same networks, bridges kept, our ip_forward hold as it was)
    if (!force && own.length > 0 && st.rulesApplied === rules && hold === (rec?.holders.includes(me) ?? false) && hold === st.ipForwardHeld) return;
    let sysctl: string | undefined;
    let dropGuard = false;
    if (hold && (!rec?.holders.includes(me) || rec.tables?.[me] !== st.table)) {
      if (!rec) rec = { original: await this.originalForward(), holders: [] };
      rec = addHolder(rec, me, st.table);
      writeRecord(f, rec);
    }
    if (hold && rec && rec.original !== '1' && this.host.readSysctl(IP_FORWARD) !== '1') {
      // forwarding goes on after the guard (the host's own interfaces stay unforwarded); also for a holder
      // whose maker was killed between its record and the sysctl
      script += renderForwardGuard();
      sysctl = '1';
    } else if (!hold && rec?.holders.includes(me)) {
      const gone = new Set<string>();
      // a holder whose table is gone holds nothing (forward-hold.ts); when unsure, it still holds
      for (const t of tablesToCheck(rec, me)) if (this.host.nftTableExists && !(await this.host.nftTableExists(t).catch(() => true))) gone.add(t);
      rec = removeHolders(rec, me, gone);
      if (rec.holders.length === 0) {
        if (rec.original !== '1') {
          this.host.writeSysctl(IP_FORWARD, rec.original);
          script += `table inet ${GUARD_TABLE}\ndelete table inet ${GUARD_TABLE}\n`;
          dropGuard = true;
        }
        rmSync(f, { force: true });
      } else writeRecord(f, rec);
    }
    // a pure deletion needs no nft script: raw nf_tables messages, without libnftables' cache fetch + parse
    if (own.length === 0) await this.host.tscNet(['nftdel', st.table, ...(dropGuard ? [GUARD_TABLE] : [])]);
    else await this.host.nft(script);
    if (sysctl) this.host.writeSysctl(IP_FORWARD, sysctl);
    st.ipForwardHeld = hold;
    if (own.length > 0) st.rulesApplied = rules;
    else delete st.rulesApplied;
  }

  private async ensureListeners(project: Project, st: ProjectState): Promise<void> {
    const want: ListenerState[] = [];
    for (const [name, svc] of Object.entries(project.services)) {
      for (const p of svc.ports) {
        const host = p.hostIp ?? '0.0.0.0';
        if (host.includes(':')) continue; // IPv6 host addresses: not supported yet
        const prev = st.listeners.find((l) => l.kind === 'published' && l.service === name && l.target === p.target && l.host === host && l.protocol === p.protocol && (p.published === undefined || l.published === p.published));
        want.push({ key: `${project.name}/${name}/${p.protocol}/${host}:${p.published ?? `auto-${p.target}`}`, service: name, target: p.target, host, published: p.published ?? prev?.published ?? 0, protocol: p.protocol, kind: 'published' });
      }
      for (const key of this.serviceNetworks(svc)) {
        const vip = st.networks[key]?.vips[name];
        if (!vip) continue;
        for (const port of this.portsOf(project, name)) want.push({ key: `${project.name}/${name}/tcp/${vip}:${port}`, service: name, target: port, host: vip, published: port, protocol: 'tcp', kind: 'vip' });
      }
    }
    const wantKeys = new Set(want.map((w) => w.key));
    for (const l of st.listeners) if (!wantKeys.has(l.key)) await this.lb.unlisten(l.key);
    const done: ListenerState[] = [];
    try {
      for (const w of want) {
        let port: number;
        try {
          port = await this.lb.listen({ key: w.key, host: w.host, port: w.published, protocol: w.protocol, pool: this.pool(project.name, w.service, w.target, w.protocol) });
        } catch (e) {
          // an ephemeral port remembered from before may be taken now: pick a new one
          if (w.kind === 'published' && w.key.includes('auto-') && w.published !== 0) port = await this.lb.listen({ key: w.key, host: w.host, port: 0, protocol: w.protocol, pool: this.pool(project.name, w.service, w.target, w.protocol) });
          else throw e;
        }
        done.push({ ...w, published: port });
      }
    } finally {
      st.listeners = done;
      this.save(st);
    }
    for (const name of Object.keys(project.services)) this.pushPools(project.name, name);
  }

  private pool(project: string, service: string, target: number, protocol: 'tcp' | 'udp' = 'tcp'): string {
    return `${project}/${service}:${target}/${protocol}`;
  }

  // ------------------------------------------------------------------------------------------- containers

  async attach(req: AttachRequest): Promise<AttachResult> {
    const project = req.project;
    const svc = project.services[req.service];
    if (!svc) throw new TscError('NOT_FOUND', `service "${req.service}" is not in project ${project.name}`);
    const st = this.load(project.name);
    const mode = svc.networkMode;
    if (mode.kind === 'host') return { netns: 'host', addresses: [], hostsFile: readOr('/etc/hosts'), resolvConf: readOr('/etc/resolv.conf') };
    if (mode.kind === 'none') {
      return { netns: undefined, addresses: [], hostsFile: renderHosts({ hostname: svc.hostname ?? req.containerName, addresses: [], ownNames: [], extraHosts: svc.extraHosts }), resolvConf: '' };
    }
    if (mode.kind === 'service' || mode.kind === 'container') {
      const other = Object.values(st.containers)
        .filter((c) => (mode.kind === 'service' ? c.service === mode.service : c.name === mode.container || c.id === mode.container))
        .sort((a, b) => a.number - b.number)[0];
      if (!other?.netns) throw new TscError('NOT_FOUND', `network_mode ${mode.kind}:${mode.kind === 'service' ? mode.service : mode.container}: no such running container with a network`);
      return { netns: other.netns, addresses: other.links, hostsFile: this.hostsFor(svc, req.containerName, other.links, []), resolvConf: this.resolvFor(svc, st, other.links) };
    }
    const keys = this.serviceNetworks(svc);
    if (keys.some((k) => !st.networks[k])) await this.ensureNetworks(project);
    if (st.containers[req.containerId]) await this.detach(req.containerId);
    const links: AttachedAddress[] = [];
    const aliases: Record<string, string[]> = {};
    try {
      keys.forEach((key, i) => {
        const net = st.networks[key]!;
        const sn = svc.networks[key];
        const ipam = project.networks[key]?.ipam.config[0];
        const address = this.allocate(net, req.containerId, sn?.ipv4Address, ipam?.ipRange);
        links.push({ network: key, bridge: net.bridge, iface: containerIface(i), hostIface: vethName(req.containerId, key), address, prefixLength: parseCidr(net.subnet).prefix, gateway: net.gateway });
        aliases[key] = sn?.aliases ?? [];
      });
      const gw = keys.map((k) => st.networks[k]!).find((n) => !n.internal)?.gateway;
      const netns = netnsPath(req.containerId);
      const hostname = svc.hostname ?? req.containerName;
      const rec: CtrState = { id: req.containerId, name: req.containerName, service: req.service, number: req.number, netns, links, aliases, hostname };
      // recorded before the kernel objects exist: a crash in between leaves nothing cleanupProject cannot find
      this.saveContainer(project.name, rec);
      if (existsSync(netns)) await this.host.tscNet(['detach', netns, ...links.map((l) => l.hostIface)]);
      const args = ['attach', netns];
      for (const l of links) args.push('--link', `${l.hostIface},${l.bridge},${l.iface},${l.address}/${l.prefixLength}`);
      if (gw) args.push('--gw', gw);
      try {
        await this.host.tscNet(args);
      } catch (e) {
        this.removeContainer(project.name, req.containerId);
        throw e;
      }
      st.containers[req.containerId] = rec;
      return { netns, addresses: links, hostsFile: this.hostsFor(svc, req.containerName, links, Object.values(aliases).flat()), resolvConf: this.resolvFor(svc, st, links) };
    } catch (e) {
      for (const l of links) this.unlease(l.bridge, l.address);
      throw e;
    }
  }

  private hostsFor(svc: Service, name: string, links: AttachedAddress[], aliases: string[]): string {
    return renderHosts({ hostname: svc.hostname ?? name, addresses: links.map((l) => l.address), ownNames: [name, ...aliases], extraHosts: svc.extraHosts, ...(links[0] ? { hostGateway: links[0].gateway } : {}) });
  }

  private resolvFor(svc: Service, st: ProjectState, links: AttachedAddress[]): string {
    const ns = this.dns ? links.filter((l) => st.networks[l.network]?.owned).map((l) => l.gateway) : [];
    return renderResolvConf({ nameservers: ns.length ? ns : hostNameservers(), dns: svc.dns, dnsSearch: svc.dnsSearch, dnsOpt: svc.dnsOpt });
  }

  async detach(containerId: string): Promise<void> {
    // the projects already loaded first: a scale-down detaches many replicas of one of them
    const loaded = [...this.states.values()].filter((st) => {
      this.refreshContainers(st);
      return st.containers[containerId] !== undefined;
    });
    for (const st of loaded.length ? loaded : this.allStates()) {
      const c = st.containers[containerId];
      if (!c) continue;
      if (c.netns) await this.detachBatched([c.netns, ...c.links.map((l) => l.hostIface)]);
      for (const l of c.links) this.unlease(l.bridge, l.address);
      delete st.containers[containerId];
      this.removeContainer(st.project, containerId);
      const key = `${st.project}/${c.service}`;
      const b = this.backends.get(key);
      if (b?.some((x) => x.id === containerId)) {
        this.backends.set(key, b.filter((x) => x.id !== containerId));
        this.pushPools(st.project, c.service);
      }
      return;
    }
  }

  private readonly detachQueue: { args: string[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private detaching = false;

  /**
   * `tsc-net detach` takes many containers at once: detaches that arrive while one runs (a scale-down
   * retires replicas in parallel) go together in the next call (group commit), one process for all.
   */
  private detachBatched(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.detachQueue.push({ args, resolve, reject });
      if (this.detaching) return;
      this.detaching = true;
      setImmediate(() => void this.flushDetaches());
    });
  }

  private async flushDetaches(): Promise<void> {
    while (this.detachQueue.length > 0) {
      const batch = this.detachQueue.splice(0);
      try {
        await this.host.tscNet(['detach', ...batch.flatMap((b) => b.args)]);
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.detaching = false;
  }

  private allStates(): ProjectState[] {
    try {
      for (const f of readdirSync(join(this.root, 'network'))) if (f.endsWith('.json')) this.load(f.slice(0, -5));
    } catch {
      /* no state yet */
    }
    return [...this.states.values()];
  }

  // ------------------------------------------------------------------------------------------- LB + DNS

  async setBackends(project: string, service: string, backends: Backend[]): Promise<void> {
    this.backends.set(`${project}/${service}`, backends);
    this.pushPools(project, service);
  }

  private pushPools(project: string, service: string): void {
    const st = this.load(project);
    const spec = this.projects.get(project)?.services[service];
    const strategy = spec?.tscompose.lb ?? 'round-robin';
    const list = (this.backends.get(`${project}/${service}`) ?? []).filter((b) => b.healthy !== false);
    const targets = new Set(st.listeners.filter((l) => l.service === service).map((l) => `${l.target}/${l.protocol}`));
    for (const t of targets) {
      const [port, proto] = t.split('/') as [string, 'tcp' | 'udp'];
      const specs: BackendSpec[] = [];
      for (const b of list) {
        const addr = b.address ?? st.containers[b.id]?.links[0]?.address;
        if (addr) specs.push({ id: b.id, host: addr, port: Number(port) });
      }
      this.lb.setPool(this.pool(project, service, Number(port), proto), specs, strategy);
    }
  }

  async drain(project: string, service: string, containerId: string, deadlineMs: number): Promise<void> {
    const key = `${project}/${service}`;
    this.backends.set(key, (this.backends.get(key) ?? []).filter((b) => b.id !== containerId));
    this.pushPools(project, service);
    await this.lb.drain(containerId, deadlineMs);
  }

  publishedPorts(project: string): PublishedPort[] {
    return this.load(project)
      .listeners.filter((l) => l.kind === 'published')
      .map((l) => ({ service: l.service, target: l.target, published: l.published, hostIp: l.host, protocol: l.protocol }));
  }

  /** The container that owns `ip`, with its project state. */
  private byAddress(ip: string): { st: ProjectState; c: CtrState } | undefined {
    for (const st of this.states.values()) this.refreshContainers(st);
    for (const st of this.states.values()) for (const c of Object.values(st.containers)) if (c.links.some((l) => l.address === ip)) return { st, c };
    return undefined;
  }

  private lookup(client: string, qname: string): string[] | undefined {
    const me = this.byAddress(client);
    if (!me) return undefined;
    const { st } = me;
    const name = qname.replace(/\.$/, '');
    const myNets = new Set(me.c.links.map((l) => l.network));
    const out = new Set<string>();
    for (const netKey of myNets) {
      const net = st.networks[netKey];
      if (!net) continue;
      const running = (svc: string): Set<string> | undefined => {
        const b = this.backends.get(`${st.project}/${svc}`);
        return b ? new Set(b.filter((x) => x.healthy !== false).map((x) => x.id)) : undefined;
      };
      for (const c of Object.values(st.containers)) {
        const link = c.links.find((l) => l.network === netKey);
        if (!link) continue;
        const byService = c.service === name || (c.aliases[netKey] ?? []).includes(name);
        if (byService && net.vips[c.service]) {
          out.add(net.vips[c.service]!);
          continue;
        }
        if (byService) {
          const r = running(c.service);
          if (!r || r.has(c.id)) out.add(link.address);
          continue;
        }
        if (c.name === name || c.hostname === name || c.id === name) out.add(link.address);
      }
    }
    return out.size ? [...out] : undefined;
  }

  private mayForward(client: string): boolean {
    const me = this.byAddress(client);
    if (!me) return false;
    return me.c.links.some((l) => me.st.networks[l.network] && !me.st.networks[l.network]!.internal);
  }

  // ------------------------------------------------------------------------------------------- teardown

  async removeProjectNetworks(project: Project | string, opts: TeardownOptions = {}): Promise<TeardownResult> {
    return this.cleanupProject(typeof project === 'string' ? project : project.name, opts);
  }

  async cleanupProject(project: string, opts: TeardownOptions = {}): Promise<TeardownResult> {
    const st = this.load(project);
    for (const key of [...this.backends.keys()]) if (key.startsWith(`${project}/`)) this.backends.delete(key);
    // containers that stay (running orphans of a `down` without --remove-orphans) and the networks they
    // are on: those networks stay too, as Docker refuses to remove a network with active endpoints
    const keep = new Set(opts.keep ?? []);
    const all = Object.values(st.containers);
    const ctrs = all.filter((c) => !keep.has(c.id));
    const kept = all.filter((c) => keep.has(c.id));
    const inUse = new Set(kept.flatMap((c) => c.links.map((l) => l.network)));
    const stay = Object.values(st.networks).filter((n) => inUse.has(n.key));
    const owned = Object.values(st.networks).filter((n) => n.owned && !inUse.has(n.key));
    const scope = projectScope(this.root, project);
    // Listeners, DNS, rules and links are independent: all at once. The containers' veths and the bridges
    // go in ONE tsc-net detach (one kernel batch: a link deleted alone costs an RCU grace period). Only the
    // rules hold the host lock (they carry the ip_forward record); a bridge still there while another
    // project picks a subnet merely keeps that subnet off its choice.
    const dels = new Set<string>();
    for (const c of ctrs) if (c.netns) [c.netns, ...c.links.map((l) => l.hostIface)].forEach((x) => dels.add(x));
    for (const n of owned) if (this.host.linkExists(n.bridge)) dels.add(n.bridge);
    // leftovers of a crash before the state was written: bridges named for this project's keys
    const keys = new Set([...Object.keys(st.networks), ...Object.keys(this.projects.get(project)?.networks ?? {}), 'default']);
    for (const k of keys) {
      const b = bridgeName(scope, k);
      if (!inUse.has(k) && this.host.linkExists(b)) dels.add(b);
    }
    const dnsStops = this.dns ? Object.values(st.networks).filter((n) => n.owned).map((n) => n.gateway) : [];
    st.networks = Object.fromEntries(stay.map((n) => [n.key, n]));
    // the rules first: the helper takes requests in order, and the links' deletion is the slow one
    const rules = this.withLock(() => this.applyRules(st));
    const links = dels.size ? this.host.tscNet(['detach', ...dels]) : Promise.resolve();
    // A closing supervisor's helper exits once its last requests are done, while the files go (its exit
    // is awaited by close(); nothing else asks it for anything during a `down`)
    const kernel = Promise.all([rules, links]);
    const helperGone = opts.close ? kernel.then(() => this.host.close?.(), () => this.host.close?.()) : undefined;
    // Once the kernel objects are gone, the files that recorded them (the state file last, so a supervisor
    // killed meanwhile still finds what to finish): all at once, off the event loop — unlinks on a busy
    // disk take milliseconds each.
    const ownedBridges = new Set(owned.map((n) => n.bridge));
    const files = kernel.then(() => Promise.all([
      ...owned.map(async (n) => {
        await fsp.rm(this.leaseDir(n.bridge), { recursive: true, force: true });
        const reg = join(this.runDir, 'networks', `${n.name}.json`);
        try {
          const r = JSON.parse(readFileSync(reg, 'utf8')) as { bridge: string };
          if (r.bridge === n.bridge) await fsp.unlink(reg);
        } catch {
          /* gone */
        }
      }),
      // leases on networks that stay (external ones, those still in use); the others' lease dirs go whole
      ...ctrs.flatMap((c) => c.links.filter((l) => !ownedBridges.has(l.bridge)).map((l) => fsp.rm(join(this.leaseDir(l.bridge), l.address), { force: true }))),
      kept.length === 0
        ? fsp.rm(this.ctrDir(project), { recursive: true, force: true })
        : Promise.all(ctrs.map((c) => fsp.rm(join(this.ctrDir(project), `${c.id}.json`), { force: true }))),
    ]));
    // the LB and DNS of a closing supervisor go as soon as their last listener does
    const listeners = Promise.all(st.listeners.map((l) => this.lb.unlisten(l.key)));
    const dns = Promise.all(dnsStops.map((g) => this.dns!.stop(g)));
    await Promise.all([
      opts.close ? listeners.then(() => this.lb.close()) : listeners,
      opts.close ? dns.then(() => this.dns?.close()) : dns,
      files,
      helperGone,
    ]);
    st.containers = {};
    this.ctrStamp.delete(project);
    st.listeners = [];
    this.states.delete(project);
    this.projects.delete(project);
    if (kept.length === 0) rmSync(this.stateFile(project), { force: true });
    else this.save(st); // what a later `down --remove-orphans` (another supervisor) removes
    return { inUse: stay.filter((n) => n.owned).map((n) => n.name) };
  }

  /** Addresses the embedded DNS server listens on (in this process). */
  dnsAddresses(): string[] {
    return this.dns?.addresses() ?? [];
  }

  /** Stops the LB, DNS and the helper; resolves once their processes exited (idempotent). */
  async close(): Promise<void> {
    await Promise.all([this.lb.close(), this.dns?.close(), this.host.close?.()]);
  }
}

function info(n: NetState | NetworkInfo): NetworkInfo {
  return { key: n.key, name: n.name, bridge: n.bridge, subnet: n.subnet, gateway: n.gateway, internal: n.internal, external: n.external };
}

/** A write into `dir`, which is made first if it does not exist (no mkdir per write on the hot path). */
function inDir(dir: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
    mkdirSync(dir, { recursive: true });
    write();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function hostNameservers(): string[] {
  return (readOr('/etc/resolv.conf') ?? '')
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}
