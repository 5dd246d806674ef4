/**
 * Registry HTTP API v2 client (node:http/https): anonymous, Bearer token (WWW-Authenticate realm/service/
 * scope, token cached per scope; an identity token is exchanged by the OAuth2 refresh_token POST) and Basic (from ~/.docker/config.json `auths`, see auth.ts); redirects
 * (Authorization dropped when the host changes); retries with back-off on connection errors, 429 and 5xx.
 *
 * Plain http is used only for loopback (127.0.0.0/8, ::1, localhost) and for registries listed as insecure
 * (ImageStoreOptions.insecureRegistries, else env TSCOMPOSE_INSECURE_REGISTRIES="host:port,host2");
 * everything else is https with certificate checks. `docker.io` is served by registry-1.docker.io.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { rootCertificates } from 'node:tls';
import { TscError } from '../errors.js';
import { digestHex } from './reference.js';
import { basicAuthFor, parseChallenge, type CredentialLookup } from './auth.js';

export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];
const MAX_MANIFEST = 4 << 20;
const agentOpts = { keepAlive: true, maxSockets: 8 };
const httpAgent = new http.Agent(agentOpts);
let httpsAgentMade: https.Agent | undefined;

/**
 * The https agent, made on first use. A supervisor is started without NODE_EXTRA_CA_CERTS (Node would
 * parse the bundle at every start; src/cli/early.ts supervisorEnv) and gets the path as
 * TSCOMPOSE_EXTRA_CA_CERTS: those certificates are trusted on top of Node's roots, as Node would. An
 * unreadable file is ignored, as Node ignores it (it only warns).
 */
function httpsAgent(): https.Agent {
  if (httpsAgentMade) return httpsAgentMade;
  const extra = process.env.TSCOMPOSE_EXTRA_CA_CERTS;
  let ca: string[] | undefined;
  if (extra && process.env.NODE_EXTRA_CA_CERTS === undefined) {
    try {
      ca = [...rootCertificates, readFileSync(extra, 'utf8')];
    } catch {
      ca = undefined;
    }
  }
  httpsAgentMade = new https.Agent(ca ? { ...agentOpts, ca } : agentOpts);
  return httpsAgentMade;
}

export interface RegistryClientOptions {
  insecure?: string[];
  credentials?: CredentialLookup;
  /** Attempts per request for transient failures (default 4). */
  attempts?: number;
  backoffMs?: number;
}

export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function insecureList(opt?: string[]): string[] {
  return opt ?? (process.env.TSCOMPOSE_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

class Transient extends Error {}

export class RegistryClient {
  readonly host: string;
  readonly base: string;
  private readonly tokens = new Map<string, string>();

  constructor(readonly domain: string, private readonly opts: RegistryClientOptions = {}) {
    this.host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
    this.base = `${this.allowsHttp(this.host) ? 'http' : 'https'}://${this.host}`;
  }

  private allowsHttp(host: string): boolean {
    return isLoopbackHost(host) || insecureList(this.opts.insecure).includes(host);
  }

  /** GET a small body in memory; a connection lost while reading it is retried like a failed request. */
  private async fetchBytes(path: string, repo: string, headers: Record<string, string>, max: number, what: string): Promise<{ res: http.IncomingMessage; body: Buffer }> {
    const attempts = this.opts.attempts ?? 4;
    for (let i = 1; ; i++) {
      const res = await this.request(path, repo, headers);
      try {
        return { res, body: await readBody(res, max, what) };
      } catch (e) {
        if (i >= attempts || !isTransientError(e instanceof TscError ? e.cause : e)) throw e;
        await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 250) * 2 ** (i - 1)));
      }
    }
  }

  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const { res, body } = await this.fetchBytes(`/v2/${repo}/manifests/${reference}`, repo, { Accept: [...MANIFEST_TYPES, '*/*'].join(', ') }, MAX_MANIFEST, 'manifest');
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const claimed = res.headers['docker-content-digest'];
    if (typeof claimed === 'string' && claimed.startsWith('sha256:') && claimed !== digest)
      throw new TscError('REGISTRY', `manifest ${repo}:${reference}: Docker-Content-Digest ${claimed} does not match the body (${digest})`);
    return { body, mediaType, digest };
  }

  /** A blob's body as a stream (verification is the caller's job, while it streams). */
  async blob(repo: string, digest: string): Promise<http.IncomingMessage> {
    digestHex(digest);
    return this.request(`/v2/${repo}/blobs/${digest}`, repo, {});
  }

  /** A small blob (config) in memory, at most `max` bytes. */
  async blobBytes(repo: string, digest: string, max: number): Promise<Buffer> {
    digestHex(digest);
    return (await this.fetchBytes(`/v2/${repo}/blobs/${digest}`, repo, {}, max, `blob ${digest}`)).body;
  }

  private async request(path: string, repo: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
    const attempts = this.opts.attempts ?? 4;
    for (let i = 1; ; i++) {
      try {
        return await this.requestOnce(new URL(this.base + path), repo, headers);
      } catch (e) {
        if (!(e instanceof Transient) || i >= attempts)
          throw e instanceof TscError ? e : new TscError('REGISTRY', `${this.host}${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 250) * 2 ** (i - 1)));
      }
    }
  }

  private async requestOnce(url0: URL, repo: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
    let url = url0;
    let authTried = false;
    for (let hops = 0; hops < 8; hops++) {
      const h: Record<string, string> = { 'User-Agent': 'tscompose', ...headers };
      const sameHost = url.host === this.host;
      const token = this.tokens.get(repo);
      if (sameHost && token) h.Authorization = token;
      const res = await send(url, h);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return res;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        url = new URL(res.headers.location, url);
        if (url.protocol === 'http:' && !this.allowsHttp(url.host)) throw new TscError('REGISTRY', `refusing redirect to plain http ${url.host}`);
        continue;
      }
      const text = (await readBody(res, 64 << 10, 'error body').catch(() => Buffer.alloc(0))).toString('utf8');
      if (status === 401 && sameHost && !authTried) {
        authTried = true;
        await this.authenticate(String(res.headers['www-authenticate'] ?? ''), repo);
        continue;
      }
      if (status === 429 || status >= 500) throw new Transient(`HTTP ${status}`);
      throw new TscError('REGISTRY', `${this.host}: ${url.pathname}: HTTP ${status}${registryMessage(text)}`);
    }
    throw new TscError('REGISTRY', `${this.host}: too many redirects`);
  }

  private async authenticate(header: string, repo: string): Promise<void> {
    const ch = parseChallenge(header);
    const creds = await this.opts.credentials?.(this.domain);
    if (ch?.scheme === 'basic') {
      if (!creds?.username) throw new TscError('REGISTRY', `${this.host}: authentication required and no credentials in the Docker config`);
      this.tokens.set(repo, basicAuthFor(creds));
      return;
    }
    if (ch?.scheme !== 'bearer' || !ch.params.realm) throw new TscError('REGISTRY', `${this.host}: unsupported authentication challenge ${JSON.stringify(header)}`);
    const realm = new URL(ch.params.realm);
    if (realm.protocol === 'http:' && !this.allowsHttp(realm.host)) throw new TscError('REGISTRY', `refusing token realm over plain http: ${realm.host}`);
    const scope = ch.params.scope ?? `repository:${repo}:pull`;
    let res: http.IncomingMessage;
    if (creds?.identityToken) {
      // OAuth2 (distribution's token spec): POST grant_type=refresh_token with the identity token
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service: ch.params.service ?? '', scope, client_id: 'tscompose' });
      res = await send(realm, { 'User-Agent': 'tscompose', 'Content-Type': 'application/x-www-form-urlencoded' }, 'POST', Buffer.from(form.toString()));
    } else {
      if (ch.params.service) realm.searchParams.set('service', ch.params.service);
      realm.searchParams.set('scope', scope);
      res = await send(realm, { 'User-Agent': 'tscompose', ...(creds?.username ? { Authorization: basicAuthFor(creds) } : {}) });
    }
    const body = await readBody(res, 1 << 20, 'token response');
    if (res.statusCode !== 200) throw new TscError('REGISTRY', `${realm.host}: token request failed: HTTP ${res.statusCode}${registryMessage(body.toString())}`);
    let tok: unknown;
    try {
      const j: unknown = JSON.parse(body.toString('utf8'));
      tok = typeof j === 'object' && j !== null ? ('token' in j && j.token ? j.token : 'access_token' in j ? j.access_token : undefined) : undefined;
    } catch {
      tok = undefined;
    }
    if (typeof tok !== 'string' || tok === '') throw new TscError('REGISTRY', `${realm.host}: token response has no token`);
    this.tokens.set(repo, `Bearer ${tok}`);
  }
}

function registryMessage(text: string): string {
  try {
    const j: unknown = JSON.parse(text);
    if (typeof j === 'object' && j !== null && 'errors' in j && Array.isArray(j.errors)) {
      const parts = j.errors.map((e: unknown) => (typeof e === 'object' && e !== null && 'code' in e ? `${String(e.code)}${'message' in e ? `: ${String(e.message)}` : ''}` : ''));
      return parts.length ? ` (${parts.join('; ')})` : '';
    }
  } catch {
    // not JSON
  }
  return text ? ` (${text.slice(0, 200).trim()})` : '';
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);

export function isTransientError(e: unknown): boolean {
  if (e instanceof Transient) return true;
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  return TRANSIENT_CODES.has(code) || (e instanceof Error && /aborted|socket hang up|timeout/i.test(e.message));
}

function send(url: URL, headers: Record<string, string>, method = 'GET', body?: Buffer): Promise<http.IncomingMessage> {
  const https_ = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const h = body ? { ...headers, 'Content-Length': String(body.length) } : headers;
    const req = (https_ ? https : http).request(url, { method, headers: h, agent: https_ ? httpsAgent() : httpAgent }, resolve);
    req.setTimeout(60_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(isTransientError(e) ? new Transient(`${url.host}: ${e.message}`) : e));
    req.end(body);
  });
}

export async function readBody(res: http.IncomingMessage, max: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res) {
      n += (c as Buffer).length;
      if (n > max) {
        res.destroy();
        throw new TscError('REGISTRY', `${what} is larger than ${max} bytes`);
      }
      parts.push(c as Buffer);
    }
  } catch (e) {
    throw e instanceof TscError ? e : new TscError('REGISTRY', `reading ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return Buffer.concat(parts, n);
}
