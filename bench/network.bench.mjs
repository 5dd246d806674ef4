// Network setup cost per container: tscompose's NetworkManager.attach (one request to its long-lived `tsc-net serve`: netns + veth +
// address + routes over rtnetlink) vs the same setup with one `ip` process per step and with `ip -batch`;
// then scale 1 -> 20 (20 attaches in parallel + LB rotation) wall time. Real bridges/netns; cleaned up.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { printTable, row } from './lib.mjs';

const { LocalNetworkManager } = await import(new URL('../dist/network/manager.js', import.meta.url).href);
const N = Number(process.env.NET_BENCH_N ?? 20);
const root = mkdtempSync(join(tmpdir(), 'tsc-netbench-'));
const nm = new LocalNetworkManager({ root, lbWorkers: 1, dns: false });
const svc = (name, o = {}) => ({ name, pullPolicy: 'missing', environment: {}, labels: {}, annotations: {}, init: false, tty: false, stdinOpen: false, privileged: false, readOnly: false, capAdd: [], capDrop: [], securityOpt: [], groupAdd: [], stopGracePeriodMs: 1000, ports: [], expose: [], volumes: [], volumesFrom: [], dependsOn: {}, replicas: 1, restart: { condition: 'no' }, resources: {}, updateConfig: {}, networkMode: { kind: 'bridge' }, networks: {}, extraHosts: [], dns: [], dnsSearch: [], dnsOpt: [], sysctls: {}, ulimits: {}, tmpfs: [], profiles: [], tscompose: { lb: 'round-robin' }, extensions: {}, ...o });
const name = `nb${process.pid}`;
const project = { name, workingDir: root, composeFiles: [], services: { w: svc('w', { expose: [{ port: 80, protocol: 'tcp' }] }) }, disabledServices: {}, networks: {}, volumes: {}, profiles: [], activeProfiles: [], extensions: {} };
const t = async (fn) => { const t0 = performance.now(); await fn(); return performance.now() - t0; };

try {
  const ensure = await t(() => nm.ensureNetworks(project));
  const [info] = await nm.ensureNetworks(project);
  const rows = [row('ensureNetworks (bridge + nft table + VIP + LB listener), first call', [ensure])];

  // 1 -> N sequential attaches, then detaches
  const att = [], det = [];
  for (let i = 1; i <= N; i++) att.push(await t(() => nm.attach({ project, containerId: `${name}-w-${i}`, containerName: `${name}-w-${i}`, service: 'w', number: i })));
  for (let i = 1; i <= N; i++) det.push(await t(() => nm.detach(`${name}-w-${i}`)));
  rows.push(row('NetworkManager.attach per container (tsc-net serve, rtnetlink), sequential', att));
  rows.push(row('NetworkManager.detach per container', det));

  // peers: the same setup through iproute2
  const perStep = [], batch = [];
  const prefix = info.subnet.split('/')[1];
  const base = info.subnet.split('.').slice(0, 3).join('.');
  for (let i = 0; i < Math.min(N, 10); i++) {
    const ns = `tscnb-${process.pid}-${i}`, v = `tscnbv${i}`, ip = `${base}.${200 + i}/${prefix}`;
    perStep.push(await t(async () => {
      for (const a of [['netns', 'add', ns], ['link', 'add', v, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns], ['link', 'set', v, 'master', info.bridge], ['link', 'set', v, 'up'], ['-n', ns, 'addr', 'add', ip, 'dev', 'eth0'], ['-n', ns, 'link', 'set', 'eth0', 'up'], ['-n', ns, 'link', 'set', 'lo', 'up']]) execFileSync('ip', a);
    }));
    execFileSync('ip', ['netns', 'del', ns]);
    batch.push(await t(async () => {
      execFileSync('ip', ['netns', 'add', ns]);
      execFileSync('ip', ['-batch', '-'], { input: `link add ${v} type veth peer name eth0 netns ${ns}\nlink set ${v} master ${info.bridge}\nlink set ${v} up\n` });
      execFileSync('ip', ['-n', ns, '-batch', '-'], { input: `addr add ${ip} dev eth0\nlink set eth0 up\nlink set lo up\n` });
    }));
    execFileSync('ip', ['netns', 'del', ns]);
  }
  rows.push(row('peer: iproute2, one `ip` process per step (7)', perStep));
  rows.push(row('peer: `ip netns add` + 2 × `ip -batch`', batch));

  // scale 1 -> N: N attaches in parallel, then all in the LB rotation
  const scale = await t(async () => {
    await Promise.all(Array.from({ length: N }, (_, i) => nm.attach({ project, containerId: `${name}-s-${i + 1}`, containerName: `${name}-s-${i + 1}`, service: 'w', number: i + 1 })));
    await nm.setBackends(name, 'w', Array.from({ length: N }, (_, i) => ({ id: `${name}-s-${i + 1}` })));
  });
  rows.push(row(`scale 1 -> ${N}: ${N} attaches in parallel + LB rotation (wall)`, [scale]));
  const down = await t(() => nm.cleanupProject(name));
  rows.push(row(`cleanupProject with ${N} containers (wall)`, [down]));
  printTable(`network setup cost per container (n=${N}; this host's load shifts absolute numbers, compare within the run)`, rows);
} finally {
  await nm.cleanupProject(name).catch(() => undefined);
  await nm.close();
  rmSync(root, { recursive: true, force: true });
}
process.exit(0);
