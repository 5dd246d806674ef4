import { describe, expect, it } from 'vitest';
import { digestHex, familiarName, normalizeReference, parseReference } from '../../src/image/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['user/app:v2', 'docker.io/user/app:v2'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:1', 'localhost:5000/app:1'],
    ['127.0.0.1:5000/team/api:2.3', '127.0.0.1:5000/team/api:2.3'],
    ['registry.example.com/team/api:2.3', 'registry.example.com/team/api:2.3'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    [`nginx:1@${D}`, `docker.io/library/nginx:1@${D}`],
    ['a/b/c/d:e_f.g-h', 'docker.io/a/b/c/d:e_f.g-h'],
    ['my_app__x-y', 'docker.io/library/my_app__x-y:latest'],
  ])('%s → %s', (input, want) => {
    expect(normalizeReference(input)).toBe(want);
  });

  it.each([
    ['', /empty/],
    ['Nginx', /lowercase/],
    ['nginx:', /bad tag/],
    ['nginx:-x', /bad tag/],
    [`nginx@sha256:${'A'.repeat(64)}`, /bad digest/],
    ['nginx@sha256:abc', /bad digest/],
    ['nginx@sha256:../../../../etc/passwd', /bad digest/],
    [`nginx@md5:${'a'.repeat(32)}`, /bad digest/],
    ['app/../x', /bad path component/],
    ['a//b', /bad path component/],
    ['-app', /bad path component/],
    ['host:port:x/app', /bad registry host/],
    [`x/${'a'.repeat(300)}`, /longer than 255/],
  ])('%s is refused', (input, re) => {
    expect(() => parseReference(input)).toThrow(re);
  });

  it('splits and shortens', () => {
    expect(parseReference('127.0.0.1:5000/app')).toEqual({ domain: '127.0.0.1:5000', path: 'app', tag: 'latest' });
    expect(familiarName(parseReference('nginx'))).toBe('nginx');
    expect(familiarName(parseReference('user/app'))).toBe('user/app');
    expect(familiarName(parseReference('localhost:5000/app'))).toBe('localhost:5000/app');
  });

  it('validates digests before they are used in a path', () => {
    expect(digestHex(D)).toBe('a'.repeat(64));
    expect(() => digestHex('sha256:../../x')).toThrow(/invalid digest/);
    expect(() => digestHex(`sha512:${'a'.repeat(128)}`)).toThrow(/invalid digest/);
  });
});
