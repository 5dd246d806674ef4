import { describe, expect, it } from 'vitest';
import { parseManifest, selectPlatform, type Descriptor } from '../../src/image/manifest.js';
import { parseImageConfig } from '../../src/image/config.js';
import { credentialsFromConfig, parseChallenge } from '../../src/image/auth.js';
import { parsePax, tarNumber } from '../../src/image/tar-reader.js';
import { humanSize } from '../../src/cli/verbs/image-run.js';

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const M = 'application/vnd.oci.image.manifest.v1+json';
const desc = (n: number, platform?: Descriptor['platform'], extra: Partial<Descriptor> = {}): Descriptor => ({ mediaType: M, digest: d(n), size: 10, ...(platform ? { platform } : {}), ...extra });

describe('manifests', () => {
  const manifest = (over: Record<string, unknown> = {}): Buffer => Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: M,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d(1), size: 5 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: d(2), size: 7 }],
    ...over,
  }));

  it('parses OCI and Docker manifests and indexes', () => {
    expect(parseManifest(manifest(), M)).toMatchObject({ kind: 'manifest', config: { digest: d(1) }, layers: [{ digest: d(2), size: 7 }] });
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [desc(3, { os: 'linux', architecture: 'amd64' })] }));
    expect(parseManifest(idx, 'application/vnd.docker.distribution.manifest.list.v2+json')).toMatchObject({ kind: 'index', manifests: [{ digest: d(3) }] });
  });

  it('refuses bad digests, schema 1, non-image artifacts and a body that is not what it claims', () => {
    expect(() => parseManifest(manifest({ layers: [{ mediaType: M, digest: 'sha256:../../x', size: 1 }] }), M)).toThrow(/bad digest/);
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), M)).toThrow(/schema 1/);
    expect(() => parseManifest(manifest({ config: { mediaType: 'application/vnd.example.helm', digest: d(1), size: 1 } }), M)).toThrow(/not a container image/);
    expect(() => parseManifest(manifest(), 'application/vnd.oci.image.index.v1+json')).toThrow(/served as/);
    expect(() => parseManifest(Buffer.from('nope'), M)).toThrow(/not valid JSON/);
  });

  it('selects linux + architecture, skipping attestations and unknown media types', () => {
    const list = [
      desc(1, { os: 'unknown', architecture: 'unknown' }, { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }),
      desc(2, { os: 'linux', architecture: 'amd64' }, { mediaType: 'application/vnd.example+json' }),
      desc(3, { os: 'windows', architecture: 'amd64' }),
      desc(4, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      desc(5, { os: 'linux', architecture: 'amd64' }),
      desc(6, { os: 'linux', architecture: 'arm', variant: 'v6' }),
      desc(7, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    ];
    expect(selectPlatform(list, { architecture: 'amd64' })?.digest).toBe(d(5));
    expect(selectPlatform(list, { architecture: 'arm64', variant: 'v8' })?.digest).toBe(d(4));
    expect(selectPlatform(list, { architecture: 'arm', variant: 'v7' })?.digest).toBe(d(7));
    expect(selectPlatform(list, { architecture: 's390x' })).toBeUndefined();
    expect(selectPlatform([desc(8)], { architecture: 'amd64' })?.digest).toBe(d(8));
  });
});

describe('image config', () => {
  it('parses the runtime part, platform and diff_ids', () => {
    const c = parseImageConfig(JSON.stringify({
      architecture: 'arm64', variant: 'v8', os: 'linux', created: '2024-01-01T00:00:00Z',
      config: {
        Entrypoint: ['/e'], Cmd: ['c'], Env: ['A=1'], WorkingDir: '/w', User: 'u:g', ExposedPorts: { '80/tcp': {}, '53/udp': {} },
        Volumes: { '/data': {} }, StopSignal: 'SIGINT', Labels: { a: 'b', bad: 1 },
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: 3, Timeout: 0 },
      },
      rootfs: { type: 'layers', diff_ids: [d(1)] },
    }));
    expect(c).toEqual({
      os: 'linux', architecture: 'arm64', variant: 'v8', created: '2024-01-01T00:00:00Z', diffIds: [d(1)],
      runtime: {
        entrypoint: ['/e'], cmd: ['c'], env: ['A=1'], workingDir: '/w', user: 'u:g', exposedPorts: ['80/tcp', '53/udp'],
        volumes: ['/data'], stopSignal: 'SIGINT', labels: { a: 'b' }, healthcheck: { test: ['CMD', 'true'], intervalNs: 1e9, retries: 3 },
      },
    });
    expect(parseImageConfig('{"rootfs":{"type":"layers","diff_ids":[]},"config":null}').runtime).toEqual({ env: [], exposedPorts: [], volumes: [], labels: {} });
    expect(() => parseImageConfig('{"rootfs":{"type":"layers","diff_ids":["sha256:x"]}}')).toThrow(/bad diff_id/);
    expect(() => parseImageConfig('{}')).toThrow(/rootfs.type/);
  });
});

describe('registry auth', () => {
  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"')).toEqual({
      scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });

  it('reads auths from a Docker config (auth base64, username/password, docker.io key forms)', () => {
    const m = credentialsFromConfig({ auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
      '127.0.0.1:5000': { username: 'u', password: 'p' },
      'https://reg.example.com': { auth: Buffer.from('a:b').toString('base64') },
      broken: { auth: 'bm9jb2xvbg==' },
    } });
    expect(m.get('docker.io')).toEqual({ username: 'hub', password: 'pw:with:colons' });
    expect(m.get('127.0.0.1:5000')).toEqual({ username: 'u', password: 'p' });
    expect(m.get('reg.example.com')).toEqual({ username: 'a', password: 'b' });
    expect(m.has('broken')).toBe(false);
    expect(credentialsFromConfig(null).size).toBe(0);
  });
});

describe('tar fields', () => {
  it('reads octal and base-256 numbers and PAX records', () => {
    expect(tarNumber(Buffer.from('0000644\0'), 0, 8)).toBe(0o644);
    expect(tarNumber(Buffer.from('     12 '), 0, 8)).toBe(0o12);
    const b256 = Buffer.alloc(12);
    b256[0] = 0x80;
    b256.writeUIntBE(10 * 1024 ** 3, 6, 6);
    expect(tarNumber(b256, 0, 12)).toBe(10 * 1024 ** 3);
    expect(() => tarNumber(Buffer.from('12x45670'), 0, 8)).toThrow(/bad octal/);
    const pax = parsePax(Buffer.from('18 path=a/b/c.txt\n27 SCHILY.xattr.user.k=v=w\n'));
    expect(pax.get('path')?.toString()).toBe('a/b/c.txt');
    expect(pax.get('SCHILY.xattr.user.k')?.toString()).toBe('v=w');
    expect(() => parsePax(Buffer.from('99 path=x\n'))).toThrow(/length/);
  });

  it('formats sizes like docker', () => {
    expect([humanSize(0), humanSize(999), humanSize(4_261_234), humanSize(12_345), humanSize(1.5e9)]).toEqual(['0B', '999B', '4.26MB', '12.3kB', '1.5GB']);
  });
});
