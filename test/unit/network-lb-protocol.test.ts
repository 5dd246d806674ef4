import { describe, expect, it } from 'vitest';
import { parseReply } from '../../src/network/lb/protocol.js';

describe('tsc-lb reply lines', () => {
  it('keeps the typed fields of a reply', () => {
    expect(parseReply('{"id":3,"port":8080}')).toEqual({ id: 3, port: 8080 });
    expect(parseReply('{"id":4,"reset":2}')).toEqual({ id: 4, reset: 2 });
    expect(parseReply('{"id":5,"active":{"a":1},"total":{"a":7,"b":2}}')).toEqual({ id: 5, active: { a: 1 }, total: { a: 7, b: 2 } });
    expect(parseReply('{"id":6,"error":"port 127.0.0.1:80 is already in use","code":"CONFLICT"}')).toEqual({ id: 6, error: 'port 127.0.0.1:80 is already in use', code: 'CONFLICT' });
  });

  it('ignores what is not a reply, and fields of the wrong type', () => {
    expect(parseReply('{"ready":1}')).toBeUndefined();
    expect(parseReply('not json')).toBeUndefined();
    expect(parseReply('{"id":"7"}')).toBeUndefined();
    expect(parseReply('{"id":8,"port":"80","active":{"a":"x"}}')).toEqual({ id: 8 });
  });
});
