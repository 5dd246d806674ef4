/**
 * A real local registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1:<free port>,
 * plain http, with its own minimal config and storage in a temp dir (never the packaged config). Started
 * by the test's setup, stopped by pid. Also small helpers to push blobs/manifests over the HTTP API and to
 * copy an image tarball in with skopeo.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BIN) && existsSync('/usr/bin/skopeo');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface LocalRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  /** Start it again on the same port and storage (after stop). */
  restart(): Promise<void>;
}

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function spawnRegistry(config: string): ChildProcess {
  const p = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  p.on('error', () => undefined);
  return p;
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  process.kill(p.pid, 'SIGKILL');
  await gone;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), `tsc-registry-${process.pid}-`));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log: {level: error, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      '',
    ].join('\n'));
    const reg: LocalRegistry = {
      host: `127.0.0.1:${port}`, port, dir, proc: spawnRegistry(config),
      async stop() { await stopProc(reg.proc); },
      async restart() {
        await stopProc(reg.proc);
        reg.proc = spawnRegistry(config);
        await eventually(async () => (await httpGet(`http://${reg.host}/v2/`)).status === 200, { timeoutMs: 30_000, what: 'registry restart' });
      },
    };
    try {
      await eventually(async () => {
        if (reg.proc.exitCode !== null) throw new Error('registry exited');
        return (await httpGet(`http://${reg.host}/v2/`)).status === 200;
      }, { timeoutMs: 30_000, what: 'registry /v2/' });
      return reg;
    } catch (e) {
      await reg.stop();
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }
}

export async function removeRegistry(reg: LocalRegistry | undefined): Promise<void> {
  if (!reg) return;
  await reg.stop();
  rmSync(reg.dir, { recursive: true, force: true });
}

/** `skopeo copy <src> docker://HOST/REPO:TAG` (src e.g. docker-archive:/x.tar, oci-archive:/x.tar). */
export async function skopeoCopy(src: string, host: string, repoTag: string, extra: string[] = []): Promise<void> {
  await promisify(execFile)('skopeo', ['copy', '--quiet', '--insecure-policy', '--dest-tls-verify=false', ...extra, src, `docker://${host}/${repoTag}`], { timeout: 120_000 });
}

function request(method: string, url: string, body: Buffer | undefined, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Monolithic blob upload (POST then PUT ?digest=). Returns the digest. */
export async function pushBlob(host: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await request('POST', `http://${host}/v2/${repo}/blobs/uploads/`, undefined, {});
  if (start.status !== 202 || !start.headers.location) throw new Error(`blob upload start: HTTP ${start.status}`);
  const loc = new URL(start.headers.location, `http://${host}`);
  loc.searchParams.set('digest', digest);
  const put = await request('PUT', loc.toString(), data, { 'Content-Type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${put.body.toString()}`);
  return digest;
}

export async function pushManifest(host: string, repo: string, ref: string, body: Buffer, mediaType: string): Promise<string> {
  const r = await request('PUT', `http://${host}/v2/${repo}/manifests/${ref}`, body, { 'Content-Type': mediaType });
  if (r.status !== 201) throw new Error(`manifest put: HTTP ${r.status} ${r.body.toString()}`);
  return sha256(body);
}

/** The registry's storage path of a blob's data file (to corrupt it in tests). */
export function blobDataPath(reg: LocalRegistry, digest: string): string {
  const hex = digest.slice(7);
  return join(reg.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}
