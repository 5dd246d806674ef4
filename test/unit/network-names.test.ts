import { describe, expect, it } from 'vitest';
import { bridgeName, macForAddress, nftTableName, projectScope, validIfname, vethName, netnsPath, containerIface } from '../../src/network/names.js';

describe('network names', () => {
  it('bridge and veth names fit in 15 characters and are valid interface names', () => {
    for (const p of ['a', 'a-very-long-project-name-with-many-characters_and_more']) {
      const b = bridgeName(projectScope('/var/lib/tscompose', p), 'some-extremely-long-network-name');
      const v = vethName(`${p}-web-1234567890`, 'net');
      expect(b.length).toBeLessThanOrEqual(15);
      expect(v.length).toBeLessThanOrEqual(15);
      expect(validIfname(b) && validIfname(v)).toBe(true);
    }
  });

  it('never clash between projects, networks or state roots', () => {
    const names = new Set<string>();
    for (const root of ['/var/lib/tscompose', '/tmp/x']) for (const p of ['a', 'b', 'ab']) for (const n of ['default', 'back', 'front']) names.add(bridgeName(projectScope(root, p), n));
    expect(names.size).toBe(18);
    expect(bridgeName(projectScope('/r', 'a'), 'bc')).not.toBe(bridgeName(projectScope('/r', 'ab'), 'c'));
    expect(vethName('c1', 'default')).not.toBe(vethName('c1', 'back'));
  });

  it('are stable', () => {
    expect(bridgeName(projectScope('/r', 'p'), 'n')).toBe(bridgeName(projectScope('/r', 'p'), 'n'));
    expect(netnsPath('abc')).toBe('/run/netns/tsc-abc');
    expect(containerIface(1)).toBe('eth1');
    expect(nftTableName(projectScope('/r', 'my-proj'), 'my-proj')).toMatch(/^tsc_my-proj_[0-9a-f]{6}$/);
  });

  it('derives a MAC from an IPv4 address: 02:42 and the four bytes in hex', () => {
    expect(macForAddress('172.18.0.2')).toBe('02:42:ac:12:00:02');
    expect(macForAddress('10.213.255.1')).toBe('02:42:0a:d5:ff:01');
  });
});
