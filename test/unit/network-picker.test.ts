import { describe, expect, it } from 'vitest';
import { Picker } from '../../src/network/lb/picker.js';

const b = (id: string) => ({ id, host: '10.0.0.1', port: 80 });

describe('LB picking', () => {
  it('round-robin spreads evenly', () => {
    const p = new Picker('round-robin');
    p.set([b('a'), b('b'), b('c')]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const x = p.pick(0)!;
      counts[x.id] = (counts[x.id] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  it('least-connections picks the backend with the fewest open connections', () => {
    const p = new Picker('least-connections');
    const [x, y, z] = p.set([b('a'), b('b'), b('c')]);
    x!.active = 5;
    y!.active = 1;
    z!.active = 3;
    expect(p.pick(0)!.id).toBe('b');
    y!.active = 9;
    expect(p.pick(0)!.id).toBe('c');
  });

  it('skips backends already tried by this connection, and gives up after all', () => {
    const p = new Picker();
    p.set([b('a'), b('b')]);
    const tried = new Set<string>(['a']);
    expect(p.pick(0, tried)!.id).toBe('b');
    tried.add('b');
    expect(p.pick(0, tried)).toBeUndefined();
  });

  it('avoids a recently failed backend unless nothing else is left', () => {
    const p = new Picker();
    const [x] = p.set([b('a'), b('b')]);
    x!.downUntil = 1000;
    for (let i = 0; i < 4; i++) expect(p.pick(500)!.id).toBe('b');
    expect(p.pick(500, new Set(['b']))!.id).toBe('a');
    expect(['a', 'b']).toContain(p.pick(2000)!.id);
  });

  it('keeps counters of backends that stay in the rotation', () => {
    const p = new Picker('least-connections');
    const [x] = p.set([b('a'), b('b')]);
    x!.active = 4;
    const next = p.set([b('a'), b('c')]);
    expect(next[0]!.active).toBe(4);
    expect(next[1]!.active).toBe(0);
    expect(p.pick(0)!.id).toBe('c');
  });

  it('an empty rotation picks nothing', () => {
    expect(new Picker().pick(0)).toBeUndefined();
  });
});
