/**
 * Token auth flow: a small Node token server + auth proxy on 127.0.0.1 in front of the real registry.
 * /v2/* without a valid Bearer token gets 401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…`;
 * the realm hands out a token for the Basic credentials of the Docker config the store reads (GET), or for
 * an identity token (OAuth2 POST grant_type=refresh_token). Credentials also come from a credential helper
 * (a `docker-credential-NAME` script on PATH). Tokens can be made to expire after a few uses, so the
 * client must re-authenticate on a 401 mid-pull.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/image/store.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { buildImageTar } from '../helpers/image-tar.js';
import { removeRegistry, skopeoCopy, startRegistry, type LocalRegistry } from '../helpers/registry.js';

const work = mkdtempSync(join(tmpdir(), `tsc-img-auth-${process.pid}-`));
let reg: LocalRegistry | undefined;
let proxy: http.Server | undefined;
let proxyHost = '';
const TOKEN = `tok-${process.pid}-${Math.random().toString(36).slice(2)}`;
const REFRESH = `refresh-${process.pid}-${Math.random().toString(36).slice(2)}`;
const seen: Array<{ service: string | null; scope: string | null; auth: string | undefined; grant?: string }> = [];
/** minted token → uses left (Infinity unless `expiring`) */
const valid = new Map<string, number>();
let expiring = false;
let minted = 0;
const savedPath = process.env.PATH;
const bin = join(work, 'bin');
const helper = `tsctest${process.pid}`;

function mint(): string {
  const t = `${TOKEN}-${++minted}`;
  valid.set(t, expiring ? 2 : Infinity);
  return t;
}

function useToken(auth: string | undefined): boolean {
  const t = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
  const left = valid.get(t);
  if (left === undefined || left <= 0) return false;
  valid.set(t, left - 1);
  return true;
}

async function formBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  let s = '';
  for await (const c of req) s += (c as Buffer).toString();
  return new URLSearchParams(s);
}

beforeAll(async () => {
  reg = await startRegistry();
  await skopeoCopy(`docker-archive:${buildImageTar([busyboxRootfs()], join(work, 'bb.tar'), { format: 'docker' }).file}`, reg.host, 'team/busybox:1');
  proxy = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${proxyHost}`);
    if (url.pathname === '/token' && req.method === 'POST') {
      void formBody(req).then((f) => {
        seen.push({ service: f.get('service'), scope: f.get('scope'), auth: undefined, grant: f.get('grant_type') ?? '' });
        if (f.get('grant_type') !== 'refresh_token' || f.get('refresh_token') !== REFRESH) {
          res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad refresh token"}]}');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: mint(), expires_in: 300 }));
      });
      return;
    }
    if (url.pathname === '/token') {
      seen.push({ service: url.searchParams.get('service'), scope: url.searchParams.get('scope'), auth: req.headers.authorization });
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:s3cret').toString('base64')}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: mint(), expires_in: 300 }));
      return;
    }
    if (!useToken(req.headers.authorization)) {
      const repo = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(url.pathname)?.[1] ?? '';
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${proxyHost}/token",service="test-registry",scope="repository:${repo}:pull"`, 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: reg!.port, path: req.url, method: req.method, headers: { ...req.headers, host: reg!.host } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  const a = proxy.address();
  proxyHost = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  // a credential helper that knows the proxy's credentials (as a password, or as an identity token)
  mkdirSync(bin);
  writeFileSync(join(bin, `docker-credential-${helper}`), [
    '#!/bin/sh',
    '[ "$1" = get ] || exit 1',
    'read -r url',
    `echo "$url" >> ${join(work, 'helper.log')}`,
    `if [ "$url" = "${proxyHost}" ] && [ -e ${join(work, 'use-identity-token')} ]; then echo '{"ServerURL":"${proxyHost}","Username":"<token>","Secret":"${REFRESH}"}'; exit 0; fi`,
    `if [ "$url" = "${proxyHost}" ]; then echo '{"ServerURL":"${proxyHost}","Username":"alice","Secret":"s3cret"}'; exit 0; fi`,
    'echo "credentials not found in native keychain"; exit 1',
    '',
  ].join('\n'));
  chmodSync(join(bin, `docker-credential-${helper}`), 0o755);
  process.env.PATH = `${bin}:${savedPath ?? '/usr/bin:/bin'}`;
});

afterAll(async () => {
  process.env.PATH = savedPath;
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  proxy?.closeAllConnections();
  await removeRegistry(reg);
  rmSync(work, { recursive: true, force: true });
});

function dockerConfig(user: string, pass: string): string {
  const p = join(work, `config-${user}-${pass}.json`);
  writeFileSync(p, JSON.stringify({ auths: { [proxyHost]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } }));
  return p;
}

describe('token auth', () => {
  it('pulls through a Bearer-token registry with credentials from the Docker config', async () => {
    const store = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: dockerConfig('alice', 's3cret') });
    const img = await store.ensure(`${proxyHost}/team/busybox:1`, 'missing');
    expect(img.layerDirs).toHaveLength(1);
    expect(seen.at(-1)).toMatchObject({ service: 'test-registry', scope: 'repository:team/busybox:pull' });
  });

  it('fails with a registry error for wrong or missing credentials', async () => {
    const wrong = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: dockerConfig('alice', 'nope') });
    await expect(wrong.ensure(`${proxyHost}/team/busybox:1`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY', message: expect.stringMatching(/token request failed: HTTP 401/) });
    const anon = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: join(work, 'absent.json') });
    await expect(anon.ensure(`${proxyHost}/team/busybox:1`, 'missing')).rejects.toMatchObject({ code: 'REGISTRY' });
    expect(await anon.list()).toEqual([]);
  });

  it('re-authenticates when a token expires mid-pull (401 with a token, then a fresh token)', async () => {
    expiring = true;
    try {
      const before = minted;
      const store = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: dockerConfig('alice', 's3cret') });
      const img = await store.ensure(`${proxyHost}/team/busybox:1`, 'always');
      expect(img.layerDirs).toHaveLength(1);
      // manifest + config + layer with tokens good for 2 requests each: at least one renewal
      expect(minted - before).toBeGreaterThanOrEqual(2);
    } finally {
      expiring = false;
    }
  });
});

describe('credential helpers', () => {
  it('credHelpers names a docker-credential-NAME program, called with "get" and the registry host on stdin', async () => {
    const cfg = join(work, 'helpers.json');
    writeFileSync(cfg, JSON.stringify({ auths: { [proxyHost]: {} }, credHelpers: { [proxyHost]: helper } }));
    const store = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: cfg });
    expect((await store.ensure(`${proxyHost}/team/busybox:1`, 'missing')).layerDirs).toHaveLength(1);
    expect(readFileSync(join(work, 'helper.log'), 'utf8').split('\n')).toContain(proxyHost);
    expect(seen.at(-1)?.auth).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  });

  it('credsStore with an identity token: the token is exchanged by an OAuth2 refresh_token POST', async () => {
    const cfg = join(work, 'store.json');
    writeFileSync(cfg, JSON.stringify({ credsStore: helper }));
    writeFileSync(join(work, 'use-identity-token'), '');
    try {
      const store = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: cfg });
      expect((await store.ensure(`${proxyHost}/team/busybox:1`, 'missing')).layerDirs).toHaveLength(1);
      expect(seen.at(-1)).toMatchObject({ grant: 'refresh_token', service: 'test-registry', scope: 'repository:team/busybox:pull' });
    } finally {
      rmSync(join(work, 'use-identity-token'), { force: true });
    }
  });

  it('only the helper named for the registry runs; a missing helper program is a clear error', async () => {
    const none = join(work, 'none.json');
    writeFileSync(none, JSON.stringify({ credHelpers: { 'other.example:5000': 'absent-helper', [proxyHost]: helper } }));
    const other = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: none });
    await expect(other.ensure(`${proxyHost}/team/busybox:1`, 'missing')).resolves.toBeDefined();
    const missing = join(work, 'missing.json');
    writeFileSync(missing, JSON.stringify({ credsStore: `absent${process.pid}` }));
    const store = new ImageStore({ root: mkdtempSync(join(work, 'root-')), dockerConfig: missing });
    await expect(store.ensure(`${proxyHost}/team/busybox:1`, 'missing')).rejects.toMatchObject({
      code: 'REGISTRY', message: expect.stringMatching(/docker-credential-absent\d+: not found on PATH/),
    });
  });
});
