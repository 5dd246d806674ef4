import { describe, expect, it } from 'vitest';
import { allocateAddress, allocateFromTop, contains, formatCidr, ipToInt, intToIp, overlaps, parseCidr, parsePool, pickSubnet, defaultGateway } from '../../src/network/ipam.js';

describe('network IPAM', () => {
  it('parses and formats addresses and subnets', () => {
    expect(intToIp(ipToInt('10.213.4.7'))).toBe('10.213.4.7');
    expect(formatCidr(parseCidr('10.213.4.7/24'))).toBe('10.213.4.0/24');
    expect(() => ipToInt('10.300.0.1')).toThrow(/invalid IPv4/);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/invalid IPv4 subnet/);
  });

  it('detects overlap and containment', () => {
    expect(overlaps(parseCidr('10.213.0.0/16'), parseCidr('10.213.5.0/24'))).toBe(true);
    expect(overlaps(parseCidr('10.213.0.0/24'), parseCidr('10.213.1.0/24'))).toBe(false);
    expect(contains(parseCidr('192.168.1.0/24'), '192.168.1.200')).toBe(true);
    expect(contains(parseCidr('192.168.1.0/24'), '192.168.2.1')).toBe(false);
  });

  it('picks the first pool subnet that overlaps no used prefix', () => {
    const pools = [parsePool('10.213.0.0/16:24')];
    const used = [parseCidr('10.213.0.0/24'), parseCidr('10.213.1.7/32'), parseCidr('192.0.2.0/24')];
    expect(formatCidr(pickSubnet(pools, used)!)).toBe('10.213.2.0/24');
  });

  it('skips a pool covered by a host route and falls to the next pool', () => {
    const pools = [parsePool('10.213.0.0/16:24'), parsePool('172.30.0.0/16:20')];
    expect(formatCidr(pickSubnet(pools, [parseCidr('10.0.0.0/8')])!)).toBe('172.30.0.0/20');
    expect(pickSubnet([parsePool('10.213.0.0/23:24')], [parseCidr('10.213.0.0/23')])).toBeUndefined();
  });

  it('rejects malformed pools', () => {
    expect(() => parsePool('10.0.0.0/16')).toThrow(/BASE\/PREFIX:SIZE/);
    expect(() => parsePool('10.0.0.0/16:8')).toThrow(/size/);
  });

  it('allocates container addresses upwards and virtual IPs from the top', () => {
    const s = parseCidr('10.213.9.0/24');
    const taken = new Set([defaultGateway(s), '10.213.9.2']);
    expect(allocateAddress(s, taken)).toBe('10.213.9.3');
    expect(allocateFromTop(s, taken)).toBe('10.213.9.254');
    expect(allocateAddress(s, new Set(), parseCidr('10.213.9.128/25'))).toBe('10.213.9.129');
  });

  it('reports an exhausted subnet', () => {
    const s = parseCidr('10.213.9.0/30');
    expect(() => allocateAddress(s, new Set(['10.213.9.1', '10.213.9.2']))).toThrow(/exhausted/);
  });
});

describe('used prefixes from /proc/net/fib_trie', () => {
  it('collects routes and local addresses of every table, not broadcast or loopback', async () => {
    const { parseFibTrie } = await import('../../src/network/host.js');
    const trie = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.213.0.0/24 2 0 2
        |-- 10.213.0.0
           /24 link UNICAST
        |-- 10.213.0.1
           /32 host LOCAL
        |-- 10.213.0.255
           /32 link BROADCAST
     |-- 127.0.0.1
        /32 host LOCAL
Local:
  +-- 192.0.2.0/24 2 0 2
     |-- 192.0.2.0
        /24 link UNICAST
     |-- 192.0.2.2
        /32 host LOCAL
`;
    expect(parseFibTrie(trie).map(formatCidr)).toEqual(['10.213.0.0/24', '10.213.0.1/32', '192.0.2.0/24', '192.0.2.2/32']);
  });
});
