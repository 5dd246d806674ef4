/**
 * Backend choice for the load balancer. Pure (time is passed in); unit-tested.
 * - round-robin (default) or least-connections (fewest open connections, ties broken round-robin);
 * - backends that are unhealthy or draining never get new connections;
 * - a backend whose connect just failed is skipped for `failBackoffMs` unless nothing else is left;
 * - `exclude` holds the backends this connection already tried (a connect failure tries the next one).
 * TCP is picked by tsc-lb (native/lb/tsc-lb.c, pick()) with these same rules, counting connections over all
 * its threads; this class picks for UDP sessions and is the executable reference of the rules.
 */
export type Strategy = 'round-robin' | 'least-connections';

export interface BackendSpec {
  id: string;
  host: string;
  port: number;
}

export interface BackendState extends BackendSpec {
  active: number;
  downUntil: number;
}

export class Picker {
  strategy: Strategy;
  backends: BackendState[] = [];
  private rr: number;

  constructor(strategy: Strategy = 'round-robin', seed = 0) {
    this.strategy = strategy;
    this.rr = seed;
  }

  /** Replace the rotation, keeping the counters of backends that stay. */
  set(specs: BackendSpec[], strategy?: Strategy): BackendState[] {
    if (strategy) this.strategy = strategy;
    const old = new Map(this.backends.map((b) => [`${b.id}@${b.host}:${b.port}`, b]));
    this.backends = specs.map((s) => old.get(`${s.id}@${s.host}:${s.port}`) ?? { ...s, active: 0, downUntil: 0 });
    return this.backends;
  }

  pick(now: number, exclude?: ReadonlySet<string>): BackendState | undefined {
    const n = this.backends.length;
    if (n === 0) return undefined;
    let fallback: BackendState | undefined;
    if (this.strategy === 'round-robin') {
      for (let i = 0; i < n; i++) {
        const b = this.backends[(this.rr + i) % n]!;
        if (exclude?.has(b.id)) continue;
        if (b.downUntil > now) {
          fallback ??= b;
          continue;
        }
        this.rr = (this.rr + i + 1) % n;
        return b;
      }
      return fallback;
    }
    let best: BackendState | undefined;
    for (let i = 0; i < n; i++) {
      const b = this.backends[(this.rr + i) % n]!;
      if (exclude?.has(b.id)) continue;
      if (b.downUntil > now) {
        fallback ??= b;
        continue;
      }
      if (!best || b.active < best.active) best = b;
    }
    if (best) this.rr = (this.backends.indexOf(best) + 1) % n;
    return best ?? fallback;
  }
}
