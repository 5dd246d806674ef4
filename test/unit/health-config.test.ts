import { describe, expect, it } from 'vitest';
import { effectiveHealthcheck, goDuration, imageTestArgv } from '../../src/health/config.js';
import type { Healthcheck } from '../../src/spec/model.js';

const svc = (o: Partial<Extract<Healthcheck, { kind: 'check' }>> = {}): Healthcheck => ({
  kind: 'check',
  intervalMs: 30_000,
  timeoutMs: 30_000,
  retries: 3,
  startPeriodMs: 0,
  startIntervalMs: 5_000,
  ...o,
});

describe('effectiveHealthcheck', () => {
  it('runs CMD as argv and CMD-SHELL through /bin/sh -c', () => {
    expect(effectiveHealthcheck(svc({ test: { kind: 'cmd', argv: ['wget', '-q', 'x'] } }), undefined)?.argv).toEqual(['wget', '-q', 'x']);
    expect(effectiveHealthcheck(svc({ test: { kind: 'shell', command: 'test -f /ok' } }), undefined)?.argv).toEqual(['/bin/sh', '-c', 'test -f /ok']);
  });

  it('has no healthcheck without one in the service or image', () => {
    expect(effectiveHealthcheck(undefined, undefined)).toBeUndefined();
    expect(effectiveHealthcheck(svc(), undefined)).toBeUndefined();
  });

  it('takes the image healthcheck with its timings when the service has none', () => {
    const p = effectiveHealthcheck(undefined, { test: ['CMD-SHELL', 'curl -f localhost'], intervalNs: 5e9, retries: 7, startPeriodNs: 2e9 });
    expect(p).toEqual({ argv: ['/bin/sh', '-c', 'curl -f localhost'], intervalMs: 5000, timeoutMs: 30_000, retries: 7, startPeriodMs: 2000, startIntervalMs: 5000 });
  });

  it('NONE and disable turn off an image healthcheck', () => {
    expect(effectiveHealthcheck({ kind: 'none' }, { test: ['CMD', 'true'] })).toBeUndefined();
    expect(effectiveHealthcheck(undefined, { test: ['NONE'] })).toBeUndefined();
  });

  it('a timings-only service healthcheck keeps the image test and overrides timings it sets', () => {
    const p = effectiveHealthcheck(svc({ intervalMs: 2000 }), { test: ['CMD', 'true'], intervalNs: 9e9, timeoutNs: 4e9 });
    expect(p?.argv).toEqual(['true']);
    expect(p?.intervalMs).toBe(2000);
    expect(p?.timeoutMs).toBe(4000);
  });

  it('the service test replaces the image test', () => {
    const p = effectiveHealthcheck(svc({ test: { kind: 'cmd', argv: ['false'] }, retries: 5 }), { test: ['CMD', 'true'] });
    expect(p?.argv).toEqual(['false']);
    expect(p?.retries).toBe(5);
  });

  it('zero values fall back to Docker defaults', () => {
    const p = effectiveHealthcheck(svc({ test: { kind: 'cmd', argv: ['x'] }, intervalMs: 0, timeoutMs: 0, retries: 0, startIntervalMs: 0 }), undefined);
    expect(p).toMatchObject({ intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startIntervalMs: 5000 });
  });

  it('parses image test arrays', () => {
    expect(imageTestArgv([])).toBeUndefined();
    expect(imageTestArgv(['NONE'])).toBe('none');
    expect(imageTestArgv(['CMD', 'a', 'b'])).toEqual(['a', 'b']);
    expect(imageTestArgv(['CMD-SHELL', 'a b'])).toEqual(['/bin/sh', '-c', 'a b']);
  });
});

describe('goDuration', () => {
  it('prints like Go', () => {
    expect(goDuration(30_000)).toBe('30s');
    expect(goDuration(1500)).toBe('1.5s');
    expect(goDuration(100)).toBe('100ms');
    expect(goDuration(90_000)).toBe('1m30s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
  });
});
