/**
 * Registry credentials and challenges (pure except for reading the Docker config file):
 * - `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` / `Basic realm="…"` parsing;
 * - `~/.docker/config.json` (or $DOCKER_CONFIG/config.json) `auths`: `auth` (base64 "user:password") or
 *   `username`/`password`; keys may be "host", "host:port", "https://host/v1/" (docker.io is stored as
 *   "https://index.docker.io/v1/"). Credential helpers (credsStore) are not consulted.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Credentials {
  username: string;
  password: string;
}

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
    if (username) out.set(keyHost(key), { username, password });
  }
  return out;
}

export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** A lookup function over the Docker config at `path` (missing or unreadable file: no credentials). */
export function loadCredentials(path = dockerConfigPath()): (domain: string) => Credentials | undefined {
  let map = new Map<string, Credentials>();
  try {
    map = credentialsFromConfig(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    // no config: anonymous
  }
  return (domain) => map.get(domain);
}
