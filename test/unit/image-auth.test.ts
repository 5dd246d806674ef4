import { describe, expect, it } from 'vitest';
import { credentialHelperFor, credentialsFromConfig, helperServerUrl, parseHelperOutput } from '../../src/image/auth.js';

describe('credential helpers (Docker config)', () => {
  it('picks credHelpers for the registry, else credsStore', () => {
    const cfg = { credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud', 'https://index.docker.io/v1/': 'hub' } };
    expect(credentialHelperFor(cfg, 'gcr.io')).toBe('gcloud');
    expect(credentialHelperFor(cfg, 'docker.io')).toBe('hub');
    expect(credentialHelperFor(cfg, 'localhost:5000')).toBe('desktop');
    expect(credentialHelperFor({ auths: {} }, 'gcr.io')).toBeUndefined();
    expect(helperServerUrl('docker.io')).toBe('https://index.docker.io/v1/');
    expect(helperServerUrl('localhost:5000')).toBe('localhost:5000');
  });

  it('parses helper output; "<token>" means an identity token', () => {
    expect(parseHelperOutput('{"ServerURL":"x","Username":"bob","Secret":"pw"}')).toEqual({ username: 'bob', password: 'pw' });
    expect(parseHelperOutput('{"ServerURL":"x","Username":"<token>","Secret":"rt"}')).toEqual({ username: '', password: '', identityToken: 'rt' });
    expect(parseHelperOutput('{"Username":"bob","Secret":""}')).toBeUndefined();
    expect(parseHelperOutput('not json')).toBeUndefined();
  });

  it('reads identitytoken from auths', () => {
    expect(credentialsFromConfig({ auths: { 'reg.example': { identitytoken: 'rt' } } }).get('reg.example')).toEqual({ username: '', password: '', identityToken: 'rt' });
  });
});

describe('Docker config location', () => {
  it('DOCKER_CONFIG names the directory of config.json; auths keys may carry a scheme and path', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { dockerConfigPath, loadCredentials } = await import('../../src/image/auth.js');
    const dir = mkdtempSync(join(tmpdir(), `tsc-dockercfg-${process.pid}-`));
    const saved = process.env.DOCKER_CONFIG;
    try {
      process.env.DOCKER_CONFIG = dir;
      expect(dockerConfigPath()).toBe(join(dir, 'config.json'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw1').toString('base64') },
        'http://localhost:5000/v2/': { username: 'loc', password: 'pw2' },
      } }));
      const creds = loadCredentials();
      expect(creds('docker.io')).toEqual({ username: 'hub', password: 'pw1' });
      expect(creds('localhost:5000')).toEqual({ username: 'loc', password: 'pw2' });
      expect(creds('other.example')).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
