/**
 * The host seam of the network layer: every process it runs and every global file it touches. Passed into
 * the manager (tests may wrap it). tsc-net verbs (bridges, addresses, container netns/veths, link deletion)
 * and nft scripts go to one long-lived `tsc-net serve` process (helper.ts; nft through libnftables in it, or
 * `nft -f -` where libnftables is missing); `ip` (ipBatch, linkAddresses) runs from the runtime's shared
 * shell (src/runtime/spawner.ts), not forked from Node.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TscError } from '../errors.js';
import { parseCidr, type Cidr } from './ipam.js';
import { spawnerEnabled, spawnViaShell } from '../runtime/spawner.js';
import { HelperError, NetHelper, NO_LIBNFTABLES } from './helper.js';

export interface Host {
  ipBatch(lines: string[]): Promise<void>;
  nft(script: string): Promise<void>;
  tscNet(args: string[]): Promise<void>;
  /** Whether `table inet TABLE` exists (optional: without it, no holder of ip_forward is ever found stale). */
  nftTableExists?(table: string): Promise<boolean>;
  /** Every IPv4 prefix the host routes or owns (all tables), to keep our subnets off them. */
  usedPrefixes(): Promise<Cidr[]>;
  linkExists(name: string): boolean;
  /** IPv4 addresses (CIDR) on an interface. */
  linkAddresses(name: string): Promise<string[]>;
  readSysctl(path: string): string;
  writeSysctl(path: string, value: string): void;
  /** Start the helper process ahead of its first use (optional). */
  warm?(): void;
  /** Let the helper process go (optional; it also goes when this process exits); resolves once it exited. */
  close?(): Promise<void> | void;
}

/** Through the runtime's shared shell (no fork of Node per call) unless TSCOMPOSE_SPAWNER=0. */
async function viaShell(cmd: string, args: string[], input: string | undefined, what: string): Promise<string> {
  const r = await spawnViaShell(cmd, args, input);
  if (r.code !== 0) throw new TscError('NETWORK', `${what} failed: ${r.stderr.trim().split('\n').slice(0, 3).join('; ') || `exit ${r.code}`}`);
  return r.stdout;
}

function runWithInput(cmd: string, args: string[], input: string, what: string): Promise<string> {
  if (spawnerEnabled()) return viaShell(cmd, args, input, what);
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => reject(new TscError('NETWORK', `${what}: cannot run ${cmd}: ${e.message}`, { cause: e })));
    p.on('close', (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new TscError('NETWORK', `${what} failed: ${err.trim().split('\n').slice(0, 3).join('; ') || `exit ${code}`}`));
    });
    p.stdin.end(input);
  });
}

function run(cmd: string, args: string[], what: string): Promise<string> {
  if (spawnerEnabled()) return viaShell(cmd, args, undefined, what);
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { maxBuffer: 16 << 20 }, (e, stdout, stderr) => {
      if (e) reject(new TscError('NETWORK', `${what} failed: ${String(stderr).trim() || e.message}`, { cause: e }));
      else resolvePromise(String(stdout));
    });
  });
}

export function defaultHelperPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/network or dist/network -> <pkg>/native/build/tsc-net
  return resolve(here, '../../native/build/tsc-net');
}

export function realHost(helperPath = defaultHelperPath()): Host {
  let helper: NetHelper | undefined;
  let noLibnftables = false;
  const served = (): NetHelper => {
    if (!existsSync(helperPath)) throw new TscError('NETWORK', `network helper not built: ${helperPath} (run npm run build)`);
    return (helper ??= new NetHelper(helperPath));
  };
  const nft = async (script: string): Promise<void> => {
    if (!noLibnftables) {
      try {
        return await served().run(['nft'], script);
      } catch (e) {
        if (!(e instanceof HelperError && e.status === NO_LIBNFTABLES)) throw e;
        noLibnftables = true;
      }
    }
    await runWithInput('nft', ['-f', '-'], script, 'nft');
  };
  return {
    ipBatch: async (lines) => {
      if (lines.length) await runWithInput('ip', ['-batch', '-'], lines.join('\n') + '\n', 'ip -batch');
    },
    nft,
    nftTableExists: async (table) => {
      try {
        await nft(`list table inet ${table}\n`);
        return true;
      } catch (e) {
        if (/No such file or directory/.test((e as Error).message)) return false;
        throw e;
      }
    },
    tscNet: async (args) => {
      await served().run(args);
    },
    warm: () => {
      if (existsSync(helperPath)) served().warm();
    },
    close: () => {
      const h = helper;
      helper = undefined;
      return h?.close();
    },
    usedPrefixes: async () => parseFibTrie(readFileSync('/proc/net/fib_trie', 'utf8')),
    linkExists: (name) => existsSync(`/sys/class/net/${name}`),
    linkAddresses: async (name) => {
      const j = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show', 'dev', name], 'ip addr')) as Array<{ addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
      return j.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
    },
    readSysctl: (path) => readFileSync(path, 'utf8').trim(),
    writeSysctl: (path, value) => writeFileSync(path, value),
  };
}

/**
 * Every IPv4 prefix of every routing table (and every local address) from /proc/net/fib_trie, without
 * running a process. Leaves look like "|-- 10.213.0.0" followed by "/24 link UNICAST" lines.
 */
export function parseFibTrie(text: string): Cidr[] {
  const out: Cidr[] = [];
  const seen = new Set<string>();
  let leaf: string | undefined;
  for (const line of text.split('\n')) {
    const l = /\|-- (\d+\.\d+\.\d+\.\d+)/.exec(line);
    if (l) {
      leaf = l[1];
      continue;
    }
    const m = /^\s+\/(\d+) \S+ (\S+)/.exec(line);
    if (!m || !leaf) continue;
    if (m[2] === 'BROADCAST' || m[2] === 'MULTICAST') continue;
    const prefix = Number(m[1]);
    if (prefix === 0 || leaf.startsWith('127.')) continue;
    const k = `${leaf}/${prefix}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(parseCidr(k));
  }
  return out;
}
