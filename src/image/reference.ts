/**
 * Docker image references (pure): `nginx` → docker.io/library/nginx:latest, `host:port/path:tag`,
 * `name@sha256:…`, `name:tag@sha256:…`. Grammar from distribution's reference package; the digest is
 * validated here, before it is ever used in a path or URL (CVE-2024-3727).
 */
import { TscError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;

export interface ImageReference {
  /** Registry host[:port], e.g. docker.io, 127.0.0.1:5000. */
  domain: string;
  /** Repository path, e.g. library/nginx. */
  path: string;
  tag?: string;
  digest?: string;
}

function invalid(ref: string, why: string): TscError {
  return new TscError('IMAGE', `invalid image reference ${JSON.stringify(ref)}: ${why}`);
}

export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/** Throws unless `s` is `sha256:` + 64 lower-case hex digits. Returns the hex part. */
export function digestHex(s: string): string {
  if (!DIGEST.test(s)) throw new TscError('IMAGE', `invalid digest ${JSON.stringify(s)}: only sha256:<64 hex> is accepted`);
  return s.slice(7);
}

function validDomain(d: string): boolean {
  const m = /^(.*?)(?::(\d+))?$/.exec(d);
  const host = m?.[1] ?? '';
  if (IPV6.test(host)) return true;
  return host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

export function parseReference(input: string): ImageReference {
  const ref = input.trim();
  if (ref === '') throw invalid(input, 'empty');
  if (ref.length > 4096) throw invalid(input.slice(0, 64), 'too long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(input, `bad digest ${JSON.stringify(digest)} (want sha256:<64 hex>)`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(input, `bad tag ${JSON.stringify(tag)}`);
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const first = rest.indexOf('/');
  if (first !== -1) {
    const d = rest.slice(0, first);
    if (d.includes('.') || d.includes(':') || d === 'localhost' || d !== d.toLowerCase()) {
      domain = d;
      path = rest.slice(first + 1);
      if (!validDomain(domain)) throw invalid(input, `bad registry host ${JSON.stringify(domain)}`);
    }
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (path === '') throw invalid(input, 'empty repository name');
  if (path !== path.toLowerCase()) throw invalid(input, 'repository name must be lowercase');
  const comps = path.split('/');
  for (const c of comps) if (!COMPONENT.test(c)) throw invalid(input, `bad path component ${JSON.stringify(c)}`);
  if (domain === DEFAULT_DOMAIN && comps.length === 1) path = `library/${path}`;
  if (`${domain}/${path}`.length > 255) throw invalid(input, 'repository name longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  const out: ImageReference = { domain, path };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** docker.io/library/nginx */
export function repositoryName(r: ImageReference): string {
  return `${r.domain}/${r.path}`;
}

/** The full canonical string: docker.io/library/nginx:latest, …@sha256:…, …:tag@sha256:… */
export function formatReference(r: ImageReference): string {
  return `${repositoryName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** The short form Docker shows: nginx, user/app, 127.0.0.1:5000/app. */
export function familiarName(r: ImageReference): string {
  if (r.domain !== DEFAULT_DOMAIN) return repositoryName(r);
  return r.path.startsWith('library/') && r.path.split('/').length === 2 ? r.path.slice(8) : r.path;
}

/** The canonical form of a reference string (throws on an invalid one). */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}
