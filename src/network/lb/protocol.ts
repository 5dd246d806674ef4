/** Messages between the LoadBalancer and native/build/tsc-lb: one JSON object per line each way (see tsc-lb.c). */
import type { BackendSpec, Strategy } from './picker.js';

export type ToLb =
  | { op: 'listen'; lid: string; host: string; port: number; pool: string }
  | { op: 'unlisten'; lid: string }
  | { op: 'pool'; pool: string; strategy: Strategy; backends: BackendSpec[] }
  | { op: 'drain'; backend: string; deadlineMs: number }
  | { op: 'stats' };

/** A reply names the request's id; which other fields it has depends on the request. */
export interface FromLb {
  id: number;
  port?: number;
  reset?: number;
  active?: Record<string, number>;
  total?: Record<string, number>;
  error?: string;
  code?: string;
}

export interface LbOptions {
  /** Connect timeout to a backend before the next one is tried (default 2000 ms). */
  connectTimeoutMs: number;
  /** A failed backend is skipped for this long (default 1000 ms). */
  failBackoffMs: number;
  /** Client bytes kept until the backend's first reply byte, to replay on another backend if the first
   *  one closes before answering (default 64 KiB; 0 disables the replay). */
  replayBytes: number;
}

function isCounts(v: unknown): v is Record<string, number> {
  return typeof v === 'object' && v !== null && Object.values(v).every((n) => typeof n === 'number');
}

/** Parse one line of tsc-lb's output; undefined for lines that are not replies (e.g. its ready line). */
export function parseReply(line: string): FromLb | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || !('id' in v) || typeof v.id !== 'number') return undefined;
  const o = v as Record<string, unknown>;
  const r: FromLb = { id: v.id };
  if (typeof o.port === 'number') r.port = o.port;
  if (typeof o.reset === 'number') r.reset = o.reset;
  if (isCounts(o.active)) r.active = o.active;
  if (isCounts(o.total)) r.total = o.total;
  if (typeof o.error === 'string') r.error = o.error;
  if (typeof o.code === 'string') r.code = o.code;
  return r;
}
