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
