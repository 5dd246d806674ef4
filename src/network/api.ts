/**
 * Contract between the network layer (src/network, native/net/tsc-net) and the controller/supervisor.
 * Only additive changes from here on.
 *
 * Lifecycle, as the controller drives it:
 *   ensureNetworks(project)            bridges + subnets + nftables table + per-service virtual IPs +
 *                                      LB listeners (published ports, in-network VIP ports) + service DNS.
 *                                      Idempotent; adopts what a previous supervisor left (state file).
 *   attach({...}) -> AttachResult      before `runtime.create`: netns + veths + addresses + routes; pass
 *                                      `netns`, `hostsFile`, `resolvConf` into ContainerCreateRequest.
 *   setBackends(project, service, ...) whenever the set of running (and healthy) replicas changes:
 *                                      they join the LB rotation and the service's DNS answer.
 *   drain(project, service, id, ms)    before stopping a replica: no new connections; resolves when its
 *                                      open connections closed or the deadline passed (then they are reset).
 *   detach(containerId)                after `runtime.remove`: netns + veths gone, names unregistered.
 *   removeProjectNetworks(project)     `down`: bridges, VIPs, listeners, rules of the project (not external
 *                                      networks); restores sysctls it changed.
 *                                      `keep`: containers left running (orphans); their networks stay.
 *   cleanupProject(projectName)        the same from the state file alone (no Project needed), also after a
 *                                      crash; leaves nothing of the project behind. Idempotent.
 *   close()                            supervisor exit: stop LB/DNS in this process, kernel objects stay.
 *
 * Service discovery: an embedded DNS server (UDP+TCP port 53) on each network's gateway address, answering
 * from the names of the networks the asking container is on (service names, container names, hostnames,
 * aliases); a service with known ports (published targets, `expose`, image ExposedPorts passed in
 * `servicePorts`) resolves to its virtual IP on that network, served by the LB; other services resolve to
 * their replicas' addresses. /etc/hosts only carries localhost and the container's own names.
 */
import type { Project, Service } from '../spec/model.js';

export interface NetworkManagerOptions {
  /** TSCOMPOSE_ROOT; state goes to `<root>/network/`. */
  root: string;
  /** Address pools to carve subnets from: "BASE/PREFIX:SIZE", e.g. "10.213.0.0/16:24" (default
   *  ["10.213.0.0/16:24", "10.214.0.0/16:24"]). Subnets overlapping a host route or another
   *  tscompose network are skipped. Env: TSCOMPOSE_NET_POOLS (comma separated). */
  pools?: string[];
  /** Path of the tsc-net helper; default native/build/tsc-net of this package. */
  helperPath?: string;
  /** LB worker threads (SO_REUSEPORT listeners); default min(availableParallelism, 4). */
  lbWorkers?: number;
  /** Start the embedded DNS server (default true). */
  dns?: boolean;
}

export interface NetworkInfo {
  /** Key in the compose file ("default", "backend", ...). */
  key: string;
  /** Host-side name (Network.name). */
  name: string;
  /** Linux bridge name (≤ 15 chars, "tscb" + hash of project+network; for external: the existing one). */
  bridge: string;
  subnet: string; // CIDR
  gateway: string;
  internal: boolean;
  external: boolean;
}

export interface AttachRequest {
  project: Project;
  /** Runtime container id (ContainerCreateRequest.id). */
  containerId: string;
  /** Compose container name (`<project>-<service>-<n>` or container_name). */
  containerName: string;
  service: string;
  /** Replica number, from 1. */
  number: number;
}

export interface AttachedAddress {
  network: string; // key
  bridge: string;
  /** Interface name inside the container: eth0, eth1, ... in priority order. */
  iface: string;
  /** Host-side veth name. */
  hostIface: string;
  address: string; // IPv4
  prefixLength: number;
  gateway: string;
}

export interface AttachResult {
  /** For ContainerCreateRequest.netns: a /run/netns path, 'host', or undefined (network_mode none:
   *  the runtime makes an empty one). For service:/container: modes, the other container's netns path. */
  netns: string | 'host' | undefined;
  addresses: AttachedAddress[];
  /** For ContainerCreateRequest.hostsFile / resolvConf. undefined for network_mode host. */
  hostsFile?: string;
  resolvConf?: string;
}

export interface Backend {
  /** Container id. */
  id: string;
  /** Container IPv4 address the host reaches it on; default: its first attached address. */
  address?: string;
  /** Default true; only healthy backends receive new connections. */
  healthy?: boolean;
}

export interface PublishedPort {
  service: string;
  target: number;
  published: number;
  hostIp: string;
  protocol: 'tcp' | 'udp';
}

export interface NetworkManager {
  ensureNetworks(project: Project, opts?: { servicePorts?: Record<string, number[]> }): Promise<NetworkInfo[]>;
  attach(req: AttachRequest): Promise<AttachResult>;
  detach(containerId: string): Promise<void>;
  setBackends(project: string, service: string, backends: Backend[]): Promise<void>;
  drain(project: string, service: string, containerId: string, deadlineMs: number): Promise<void>;
  publishedPorts(project: string): PublishedPort[];
  removeProjectNetworks(project: Project | string, opts?: TeardownOptions): Promise<TeardownResult>;
  cleanupProject(project: string, opts?: TeardownOptions): Promise<TeardownResult>;
  close(): Promise<void>;
}

/** removeProjectNetworks / cleanupProject options (additive). */
export interface TeardownOptions {
  /**
   * Containers that stay attached (running orphans of a `down` without --remove-orphans): they keep their
   * netns, and the networks they are on stay (as Docker: "Resource is still in use"), with their rules.
   */
  keep?: string[];
  /** The caller exits next: the LB, DNS and helper processes stop as soon as their last work is done. */
  close?: boolean;
}

export interface TeardownResult {
  /** Names of the project's networks left because a kept container is still on them. */
  inUse: string[];
}

/** LB strategy of a service (x-tscompose: {lb: ...}). */
export type LbStrategy = Service['tscompose']['lb'];
