/** Messages between the LoadBalancer (main thread) and its worker threads. */
import type { BackendSpec, Strategy } from './picker.js';

export type ToWorker =
  | { type: 'listen'; lid: string; host: string; port: number; pool: string }
  | { type: 'unlisten'; lid: string }
  | { type: 'pool'; pool: string; strategy: Strategy; backends: BackendSpec[] }
  | { type: 'drain'; rid: number; id: string; deadlineMs: number }
  | { type: 'stats'; rid: number };

export type FromWorker =
  | { type: 'listening'; lid: string; port: number }
  | { type: 'error'; lid?: string; rid?: number; code: string; message: string }
  | { type: 'unlistened'; lid: string }
  | { type: 'drained'; rid: number; reset: number }
  | { type: 'stats'; rid: number; active: Record<string, number>; total: Record<string, number> };

export interface LbOptions {
  /** Connect timeout to a backend before the next one is tried (default 2000 ms). */
  connectTimeoutMs: number;
  /** A failed backend is skipped for this long (default 1000 ms). */
  failBackoffMs: number;
  /** Client bytes kept until the backend's first reply byte, to replay on another backend if the first
   *  one closes before answering (default 64 KiB; 0 disables the replay). */
  replayBytes: number;
}
