import { describe, expect, it } from 'vitest';
import { renderHosts, renderResolvConf } from '../../src/network/hosts.js';
import { renderProjectTable, renderReplace } from '../../src/network/nft.js';
import { buildQuery, buildResponse, parseAnswers, parseQuery, TYPE_AAAA } from '../../src/network/dns-wire.js';

describe('hosts and resolv.conf rendering', () => {
  it('hosts: localhost, own names on the primary address, extra_hosts with host-gateway', () => {
    const h = renderHosts({ hostname: 'web1', addresses: ['10.213.0.2', '10.214.0.2'], ownNames: ['p-web-1', 'web1', 'alias'], extraHosts: [{ hostname: 'db.local', ip: '10.1.2.3' }, { hostname: 'host.docker.internal', ip: 'host-gateway' }], hostGateway: '10.213.0.1' });
    expect(h).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.213.0.2\tweb1 p-web-1 alias\n10.1.2.3\tdb.local\n10.213.0.1\thost.docker.internal\n');
  });

  it('resolv.conf: embedded servers unless dns: is set', () => {
    expect(renderResolvConf({ nameservers: ['10.213.0.1'], dns: [], dnsSearch: [], dnsOpt: [] })).toBe('nameserver 10.213.0.1\noptions ndots:0\n');
    expect(renderResolvConf({ nameservers: ['10.213.0.1'], dns: ['9.9.9.9'], dnsSearch: ['example.org'], dnsOpt: ['timeout:1'] })).toBe('nameserver 9.9.9.9\nsearch example.org\noptions timeout:1\n');
  });
});

describe('nftables rule generation', () => {
  it('isolates each network, masquerades non-internal ones, gives internal ones no way out', () => {
    const t = renderProjectTable('tsc_p_abcdef', [
      { bridge: 'tscbbbbb', subnet: '10.213.1.0/24', internal: true },
      { bridge: 'tscbaaaa', subnet: '10.213.0.0/24', internal: false },
    ]);
    expect(t).toBe(
      'table inet tsc_p_abcdef {\n' +
        '  chain forward {\n    type filter hook forward priority -1; policy accept;\n' +
        '    oifname "tscbaaaa" iifname != "tscbaaaa" ct state established,related accept\n' +
        '    oifname "tscbaaaa" iifname != "tscbaaaa" drop\n' +
        '    oifname "tscbbbbb" iifname != "tscbbbbb" drop\n' +
        '    iifname "tscbbbbb" oifname != "tscbbbbb" drop\n  }\n' +
        '  chain input {\n    type filter hook input priority -1; policy accept;\n' +
        '    ip daddr 10.213.0.0/24 iifname != { "lo", "tscbaaaa" } drop\n' +
        '    ip daddr 10.213.1.0/24 iifname != { "lo", "tscbbbbb" } drop\n' +
        '    iifname "tscbbbbb" ip daddr != 10.213.1.0/24 drop\n  }\n' +
        '  chain postrouting {\n    type nat hook postrouting priority 100; policy accept;\n' +
        '    ip saddr 10.213.0.0/24 oifname != "tscbaaaa" masquerade\n  }\n' +
        '}\n',
    );
  });

  it('replaces the table in one transaction without touching anything else', () => {
    const r = renderReplace('tsc_p_abcdef', []);
    expect(r.startsWith('table inet tsc_p_abcdef\ndelete table inet tsc_p_abcdef\ntable inet tsc_p_abcdef {')).toBe(true);
    expect(r).not.toMatch(/flush ruleset|policy drop/);
  });
});

describe('DNS wire format', () => {
  it('parses a query and answers with A records', () => {
    const q = buildQuery(0x1234, 'Web.');
    const p = parseQuery(q)!;
    expect(p).toMatchObject({ id: 0x1234, name: 'web', type: 1, rd: true });
    const r = parseAnswers(buildResponse(q, p, ['10.213.0.254', '10.213.0.3']));
    expect(r).toEqual({ rcode: 0, addresses: ['10.213.0.254', '10.213.0.3'] });
  });

  it('NXDOMAIN and AAAA (no data) answers', () => {
    const q = buildQuery(7, 'nope', TYPE_AAAA);
    const p = parseQuery(q)!;
    expect(parseAnswers(buildResponse(q, p, [], 3))).toEqual({ rcode: 3, addresses: [] });
    expect(parseQuery(Buffer.alloc(5))).toBeUndefined();
  });
});
