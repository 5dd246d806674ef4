// The peer of ../shared/BENCHMARKS.md, run side by side: Debian's docker-compose 1.29 against a private dockerd
// 20.10 that this benchmark starts and stops itself (`bash scripts/install-peers.sh` installs both).
//
// The daemon gets its own data root, exec root and socket under one temporary directory, and no host firewall
// or bridge changes: --iptables=false, --ip-masq=false, --ip-forward=false, --bridge=none. A default dockerd
// sets the FORWARD policy to DROP and loads br_netfilter, which would break other bridges on a shared host.
// Without iptables the daemon has less to do per container and port, so the peer's figures are, if anything,
// faster than a default install's: our ratios against it are conservative. Published ports still work through
// Docker's userland proxy, on loopback only.
//
// BENCHMARKS' other peer, podman-compose 1.0.3 + podman 4.3, is not run: its netavark adds `ip nat` and
// `ip filter` tables to the host's firewall and leaves its chains there after the network goes, and on these
// machines its containers fail to start (crun: setrlimit RLIMIT_NOFILE: EPERM) without host-wide configuration.
// It was the best peer on the day of BENCHMARKS only for `down` (773 ms against docker-compose's 813): the ratio
// table divides by docker-compose today but keeps the stricter target ratio 100/773 for `down`.
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { has } from './lib.mjs';

const CGROUP_V1 = '/sys/fs/cgroup';

/** Why the docker peer cannot run here, or undefined when it can. */
export function dockerPeerMissing() {
  if (process.env.BENCH_PEERS === '0') return 'BENCH_PEERS=0';
  if (process.getuid?.() !== 0) return 'not root';
  for (const c of ['dockerd', 'docker-compose']) if (!has(c)) return `${c} not installed (bash scripts/install-peers.sh)`;
  return undefined;
}

function api(socketPath, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: body ? { 'Content-Type': 'application/x-tar' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode < 300 ? resolve(text) : reject(new Error(`dockerd ${method} ${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    if (body) createReadStream(body).pipe(req);
    else req.end();
  });
}

function dockerCgroups() {
  try {
    return readdirSync(CGROUP_V1).map((c) => join(CGROUP_V1, c, 'docker')).filter((d) => existsSync(d));
  } catch {
    return [];
  }
}

/**
 * Starts a private dockerd, imports `rootfsTar` as busybox:latest, and returns a handle:
 * `compose(project, cwd, args)` runs docker-compose against it, `stop()` takes everything down again.
 */
export async function startDockerPeer(rootfsTar) {
  // short: containerd's socket lives under the exec root and a Unix socket path has 108 bytes
  const dir = mkdtempSync('/tmp/tscpd-');
  const sock = join(dir, 'd.sock');
  const cgroupsBefore = new Set(dockerCgroups());
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const daemon = spawn('dockerd', [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'x'), '--pidfile', join(dir, 'd.pid'), '-H', `unix://${sock}`,
    '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--bridge=none',
  ], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise((res) => daemon.once('exit', res));
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
  const handle = {
    name: 'docker-compose',
    version: '',
    compose(project, cwd, args) {
      return new Promise((res, rej) => {
        const c = spawn('docker-compose', ['-p', project, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (err += d));
        c.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`docker-compose ${args.join(' ')}: ${code}\n${err}`))));
      });
    },
    async stop(projects = []) {
      for (const p of projects) spawnSync('docker-compose', ['-p', p, 'down', '-t', '1'], { env, stdio: 'ignore', cwd: dir });
      if (daemon.exitCode === null) {
        daemon.kill('SIGTERM'); // dockerd stops the containerd it started
        const late = setTimeout(() => daemon.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(late);
      }
      // the cgroup parents dockerd made (cgroup v1: one per controller), if empty and not there before
      for (const d of dockerCgroups()) {
        if (cgroupsBefore.has(d)) continue;
        try {
          rmdirSync(d);
        } catch {
          // not empty or gone
        }
      }
      // overlay mounts left by a daemon that had to be killed
      for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
        const mp = line.split(' ')[4];
        if (mp?.startsWith(`${dir}/`)) spawnSync('umount', ['-l', mp], { stdio: 'ignore' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`dockerd exited: ${readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
      try {
        await api(sock, 'GET', '/_ping');
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    handle.version = JSON.parse(await api(sock, 'GET', '/version')).Version;
    const cmd = encodeURIComponent('CMD ["sh"]');
    await api(sock, 'POST', `/images/create?fromSrc=-&repo=busybox&tag=latest&changes=${cmd}`, rootfsTar);
    const compose = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
    handle.name = `docker-compose ${compose.stdout.trim()} + dockerd ${handle.version}`;
    return handle;
  } catch (e) {
    await handle.stop();
    throw e;
  }
}
