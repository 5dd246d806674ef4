import { describe, expect, it } from 'vitest';
import { addHolder, parseForwardRecord, removeHolders, tablesToCheck } from '../../src/network/forward-hold.js';

describe('ip_forward hold record', () => {
  it('records each holder with its nft table, once', () => {
    let r = addHolder({ original: '0', holders: [] }, 'a:p', 'tsc_p_1');
    r = addHolder(r, 'b:q', 'tsc_q_2');
    r = addHolder(r, 'a:p', 'tsc_p_1');
    expect(r).toEqual({ original: '0', holders: ['a:p', 'b:q'], tables: { 'a:p': 'tsc_p_1', 'b:q': 'tsc_q_2' } });
  });

  it('drops, with the one letting go, every holder whose table is gone; keeps those it cannot check', () => {
    const r = { original: '0', holders: ['old:x', 'a:p', 'b:q', 'c:r'], tables: { 'a:p': 'tsc_p_1', 'b:q': 'tsc_q_2', 'c:r': 'tsc_r_3' } };
    expect(tablesToCheck(r, 'a:p').sort()).toEqual(['tsc_q_2', 'tsc_r_3']);
    expect(removeHolders(r, 'a:p', new Set(['tsc_q_2']))).toEqual({ original: '0', holders: ['old:x', 'c:r'], tables: { 'c:r': 'tsc_r_3' } });
    expect(removeHolders(r, 'a:p', new Set(['tsc_q_2', 'tsc_r_3']))).toEqual({ original: '0', holders: ['old:x'] });
    expect(removeHolders({ original: '1', holders: ['a:p'], tables: { 'a:p': 't' } }, 'a:p', new Set())).toEqual({ original: '1', holders: [] });
  });

  it('reads the record written before tables were kept, and nothing from a broken one', () => {
    expect(parseForwardRecord('{"original":"0","holders":["a:p"]}')).toEqual({ original: '0', holders: ['a:p'] });
    expect(parseForwardRecord('{"holders":[]}')).toBeUndefined();
    expect(parseForwardRecord('{"original":"0","hol')).toBeUndefined();
  });
});
