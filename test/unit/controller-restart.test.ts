import { describe, expect, it } from 'vitest';
import { decideRestart, nextBackoff, DEFAULT_BACKOFF, type RestartState } from '../../src/controller/restart.js';

const fail = (finishedAtMs: number, startedAtMs = finishedAtMs - 50) => ({ exitCode: 1, oomKilled: false, startedAtMs, finishedAtMs });

describe('restart policy', () => {
  it('never restarts under "no"', () => {
    expect(decideRestart({ condition: 'no' }, fail(1000), undefined).kind).toBe('never');
  });

  it('on-failure restarts failures only', () => {
    expect(decideRestart({ condition: 'on-failure' }, { exitCode: 0, oomKilled: false, finishedAtMs: 5 }, undefined).kind).toBe('never');
    expect(decideRestart({ condition: 'on-failure' }, fail(5), undefined).kind).toBe('restart');
    expect(decideRestart({ condition: 'on-failure' }, { exitCode: 0, oomKilled: true, finishedAtMs: 5 }, undefined).kind).toBe('restart');
  });

  it('always and unless-stopped restart a clean exit too', () => {
    for (const condition of ['always', 'unless-stopped'] as const) {
      expect(decideRestart({ condition }, { exitCode: 0, oomKilled: false, finishedAtMs: 5 }, undefined).kind).toBe('restart');
    }
  });

  it('backs off exponentially from 100 ms to a cap, and resets after a long run', () => {
    let st: RestartState | undefined;
    const delays: number[] = [];
    let t = 0;
    for (let i = 0; i < 12; i++) {
      const v = decideRestart({ condition: 'always' }, fail(t), st);
      if (v.kind !== 'restart') throw new Error('expected restart');
      delays.push(v.delayMs);
      st = v.next;
      t = v.atMs + 50;
    }
    expect(delays.slice(0, 6)).toEqual([100, 200, 400, 800, 1600, 3200]);
    expect(Math.max(...delays)).toBe(DEFAULT_BACKOFF.capMs);
    const long = decideRestart({ condition: 'always' }, fail(t + 20_000, t), st);
    expect(long.kind === 'restart' && long.delayMs).toBe(100);
    expect(nextBackoff(0, undefined)).toBe(100);
  });

  it('on-failure:N gives up after N restarts', () => {
    let st: RestartState | undefined;
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const v = decideRestart({ condition: 'on-failure', maxAttempts: 3 }, fail(i * 10_000), st);
      kinds.push(v.kind);
      if (v.kind === 'restart') st = v.next;
    }
    expect(kinds).toEqual(['restart', 'restart', 'restart', 'give-up']);
  });

  it('deploy.restart_policy: fixed delay, max_attempts counted inside the window', () => {
    const policy = { condition: 'on-failure' as const, delayMs: 500, maxAttempts: 2, windowMs: 10_000 };
    const a = decideRestart(policy, fail(0), undefined);
    expect(a.kind === 'restart' && a.delayMs).toBe(500);
    const b = a.kind === 'restart' ? decideRestart(policy, fail(1000), a.next) : a;
    expect(b.kind).toBe('restart');
    const c = b.kind === 'restart' ? decideRestart(policy, fail(2000), b.next) : b;
    expect(c.kind).toBe('give-up');
    // long after the window, the old restarts no longer count
    const d = b.kind === 'restart' ? decideRestart(policy, fail(60_000), b.next) : b;
    expect(d.kind).toBe('restart');
  });
});
