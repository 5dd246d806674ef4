/**
 * Process identity: a pid is stored with its start time (field 22 of /proc/PID/stat, in clock ticks since
 * boot) so that a reused pid is never mistaken for the process that wrote a record.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/**
 * The start time of `pid`, or undefined when no such process runs. A zombie counts as gone: it has exited
 * and only waits for its parent — for a double-forked shim that is PID 1 of the host, which on some
 * machines (e.g. a VM's minimal init) reaps orphans only every second or so.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the comm field may contain spaces and parentheses: fields resume after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return rest[19]; // field 22 overall; rest[0] is field 3
  } catch {
    return undefined;
  }
}

export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? '0' };
}

export function isAlive(id: ProcessIdentity): boolean {
  const st = processStartTime(id.pid);
  return st !== undefined && st === id.startTime;
}

export function parseIdentity(v: unknown): ProcessIdentity | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return typeof o.pid === 'number' && typeof o.startTime === 'string' ? { pid: o.pid, startTime: o.startTime } : undefined;
}
