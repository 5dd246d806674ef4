/** Signal names and numbers (Linux): "TERM", "SIGTERM", "15" → canonical "SIGTERM" / 15. */
import { constants } from 'node:os';
import { TscError } from '../errors.js';

const BY_NAME = constants.signals as Record<string, number>;

export function signalNumber(sig: string | number): number {
  if (typeof sig === 'number') return sig;
  const s = sig.trim().toUpperCase();
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.startsWith('SIG') ? s : `SIG${s}`;
    const rt = /^SIGRTMIN\+([0-9]+)$/.exec(name);
    if (rt) return 34 + Number(rt[1]);
    const n = BY_NAME[name];
    if (n !== undefined) return n;
  }
  throw new TscError('USAGE', `invalid signal: "${sig}"`);
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(BY_NAME)) if (v === n) return k;
  return String(n);
}

/** Canonical "SIG<NAME>" form of a signal given by name or number. */
export function canonicalSignal(sig: string | number): string {
  return signalName(signalNumber(sig));
}
