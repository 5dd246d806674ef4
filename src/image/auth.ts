/**
 * Registry credentials and challenges (pure except for reading the Docker config file):
 * - `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` / `Basic realm="…"` parsing;
 * - `~/.docker/config.json` (or $DOCKER_CONFIG/config.json) `auths`: `auth` (base64 "user:password") or
 *   `username`/`password`; keys may be "host", "host:port", "https://host/v1/" (docker.io is stored as
 *   "https://index.docker.io/v1/"), `identitytoken` (an OAuth2 refresh token);
 * - credential helpers, as the Docker CLI: `credHelpers[host]`, else `credsStore`, names a program
 *   `docker-credential-NAME` on PATH; `docker-credential-NAME get` reads the server URL on stdin and prints
 *   {"ServerURL","Username","Secret"} (Username "<token>" means Secret is an identity token). A helper
 *   that has nothing for the registry falls back to `auths`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TscError, errnoCode } from '../errors.js';

export interface Credentials {
  username: string;
  password: string;
  /** OAuth2 refresh token (docker login with an identity provider): exchanged at the token realm. */
  identityToken?: string;
}

/** Credentials per registry domain; may run a credential helper. */
export type CredentialLookup = (domain: string) => Credentials | undefined | Promise<Credentials | undefined>;

export interface Challenge {
  scheme: 'bearer' | 'basic' | string;
  params: Record<string, string>;
}

export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

export function basicAuthFor(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function keyHost(key: string): string {
  const k = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return k === 'index.docker.io' || k === 'registry-1.docker.io' ? 'docker.io' : k;
}

/** Credentials per registry domain from a parsed Docker config object. */
export function credentialsFromConfig(cfg: unknown): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  if (typeof cfg !== 'object' || cfg === null || !('auths' in cfg)) return out;
  const auths = cfg.auths;
  if (typeof auths !== 'object' || auths === null) return out;
  for (const [key, v] of Object.entries(auths)) {
    if (typeof v !== 'object' || v === null) continue;
    let username = 'username' in v && typeof v.username === 'string' ? v.username : '';
    let password = 'password' in v && typeof v.password === 'string' ? v.password : '';
    if ('auth' in v && typeof v.auth === 'string' && v.auth !== '') {
      const dec = Buffer.from(v.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i > 0) {
        username = dec.slice(0, i);
        password = dec.slice(i + 1);
      }
    }
    const identityToken = 'identitytoken' in v && typeof v.identitytoken === 'string' && v.identitytoken !== '' ? v.identitytoken : undefined;
    if (username || identityToken) out.set(keyHost(key), { username, password, ...(identityToken ? { identityToken } : {}) });
  }
  return out;
}

export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The credential helper the Docker config names for `domain` (credHelpers first, then credsStore). */
export function credentialHelperFor(cfg: unknown, domain: string): string | undefined {
  if (typeof cfg !== 'object' || cfg === null) return undefined;
  if ('credHelpers' in cfg && typeof cfg.credHelpers === 'object' && cfg.credHelpers !== null) {
    for (const [key, name] of Object.entries(cfg.credHelpers)) if (keyHost(key) === domain && typeof name === 'string' && name !== '') return name;
  }
  return 'credsStore' in cfg && typeof cfg.credsStore === 'string' && cfg.credsStore !== '' ? cfg.credsStore : undefined;
}

/** The server URL the Docker CLI hands to helpers: docker.io is stored under its legacy v1 URL. */
export function helperServerUrl(domain: string): string {
  return domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain;
}

/** Parse a helper's `get` output; undefined when it holds nothing usable. */
export function parseHelperOutput(text: string): Credentials | undefined {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof j !== 'object' || j === null) return undefined;
  const username = 'Username' in j && typeof j.Username === 'string' ? j.Username : '';
  const secret = 'Secret' in j && typeof j.Secret === 'string' ? j.Secret : '';
  if (secret === '') return undefined;
  return username === '<token>' ? { username: '', password: '', identityToken: secret } : { username, password: secret };
}

const NOT_FOUND = /credentials not found/i;

/** Run `docker-credential-NAME get` for `serverUrl`. */
export function runCredentialHelper(name: string, serverUrl: string, timeoutMs = 30_000): Promise<Credentials | undefined> {
  if (!HELPER_NAME.test(name)) return Promise.reject(new TscError('REGISTRY', `invalid credential helper name ${JSON.stringify(name)} in the Docker config`));
  const prog = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const p = spawn(prog, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    p.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    p.stdin.on('error', () => undefined); // a helper that exits without reading its input
    p.on('error', (e) => reject(new TscError('REGISTRY', `credential helper ${prog}: ${errnoCode(e) === 'ENOENT' ? 'not found on PATH' : e.message}`, { cause: e })));
    p.on('close', (code) => {
      if (code === 0) return resolve(parseHelperOutput(out));
      const msg = (out + err).trim();
      if (NOT_FOUND.test(msg)) return resolve(undefined);
      reject(new TscError('REGISTRY', `credential helper ${prog} failed (exit ${code ?? 'signal'})${msg ? `: ${msg.slice(0, 200)}` : ''}`));
    });
    p.stdin.end(serverUrl);
  });
}

/**
 * A lookup function over the Docker config at `path` (missing or unreadable file: no credentials).
 * Helpers run at most once per domain (the answer is cached, as a promise).
 */
export function loadCredentials(path = dockerConfigPath()): CredentialLookup {
  let cfg: unknown;
  let map = new Map<string, Credentials>();
  try {
    cfg = JSON.parse(readFileSync(path, 'utf8'));
    map = credentialsFromConfig(cfg);
  } catch {
    // no config: anonymous
  }
  const cache = new Map<string, Promise<Credentials | undefined>>();
  return (domain) => {
    const helper = credentialHelperFor(cfg, domain);
    if (!helper) return map.get(domain);
    let p = cache.get(domain);
    if (!p) {
      p = (async () => {
        const url = helperServerUrl(domain);
        const got = (await runCredentialHelper(helper, url)) ?? (url === domain ? await runCredentialHelper(helper, `https://${domain}`) : undefined);
        return got ?? map.get(domain);
      })();
      cache.set(domain, p);
    }
    return p;
  };
}
