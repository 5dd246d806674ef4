/** Signal names for `stop_signal` (and anything else that names a signal): "term", "15", "SIGTERM" -> "SIGTERM". */
import type { Parsed } from './units.js';

/** Linux x86-64/arm64 numbering, as `kill -l`. */
const SIGNALS = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
  'SIGSYS',
] as const;
const ALIASES: Record<string, string> = { SIGIOT: 'SIGABRT', SIGPOLL: 'SIGIO', SIGCLD: 'SIGCHLD' };
const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function normalizeSignal(input: string): Parsed<string> {
  const s = input.trim().toUpperCase();
  const expected = 'a signal name such as SIGTERM, SIGINT or SIGQUIT (or its number)';
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= SIGNALS.length) return { value: SIGNALS[n - 1] as string };
    if (n >= SIGRTMIN && n <= SIGRTMAX) return { value: n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}` };
    return { error: expected };
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if ((SIGNALS as readonly string[]).includes(name)) return { value: name };
  const alias = ALIASES[name];
  if (alias) return { value: alias };
  const rt = /^SIGRT(MIN|MAX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return { value: name };
  }
  return { error: expected };
}

/** Signal number for a normalized name (for runtimes that want numbers). */
export function signalNumber(name: string): number | undefined {
  const i = (SIGNALS as readonly string[]).indexOf(name);
  if (i >= 0) return i + 1;
  const rt = /^SIGRT(MIN|MAX)([+-]\d+)?$/.exec(name);
  if (rt) return (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
  return undefined;
}
