import { describe, expect, it } from 'vitest';
import { hostsWithHostname } from '../../src/runtime/etc-files.js';
import { defaultHostname } from '../../src/runtime/process-spec.js';

describe('container hostname', () => {
  it('differs between replicas whose ids share a long prefix', () => {
    const a = defaultHostname('averyveryverylongprojectname-web-1-abc');
    const b = defaultHostname('averyveryverylongprojectname-web-2-abc');
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('is added to the own-address line of a hosts file made by the network layer', () => {
    const hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n10.1.0.2\tp-web-1 web\n10.9.9.9\textra\n';
    expect(hostsWithHostname(hosts, 'abc123def456')).toBe(
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n10.1.0.2\tp-web-1 web abc123def456\n10.9.9.9\textra\n',
    );
  });

  it('is left alone when already present, and gets a 127.0.1.1 line when there is no own line', () => {
    const hosts = '127.0.0.1\tlocalhost\n10.1.0.2\th1 web\n';
    expect(hostsWithHostname(hosts, 'h1')).toBe(hosts);
    expect(hostsWithHostname('127.0.0.1\tlocalhost\n', 'h2')).toBe('127.0.0.1\tlocalhost\n127.0.1.1\th2\n');
  });
});
