/**
 * Token auth flow: a small Node token server + auth proxy on 127.0.0.1 in front of the real registry.
 * /v2/* without a valid Bearer token gets 401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…`;
 * the realm hands out a token only for the Basic credentials of the Docker config the store reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const seen: Array<{ service: string | null; scope: string | null; auth: string | undefined }> = [];

beforeAll(async () => {
  reg = await startRegistry();
  await skopeoCopy(`docker-archive:${buildImageTar([busyboxRootfs()], join(work, 'bb.tar'), { format: 'docker' }).file}`, reg.host, 'team/busybox:1');
  proxy = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${proxyHost}`);
    if (url.pathname === '/token') {
      seen.push({ service: url.searchParams.get('service'), scope: url.searchParams.get('scope'), auth: req.headers.authorization });
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:s3cret').toString('base64')}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: TOKEN, expires_in: 300 }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
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
});

afterAll(async () => {
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
});
