/**
 * The control protocol between the CLI and a project's supervisor: JSON lines over a Unix socket (mode
 * 0600, root only). A request is `{id, method, params}`; the supervisor answers with any number of
 * `{id, event}` lines (progress, container events) and then exactly one `{id, result}` or `{id, error}`.
 */
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors.js';

export type Method = 'ping' | 'up' | 'down' | 'downEarly' | 'scale' | 'stop' | 'start' | 'restart' | 'kill' | 'ps' | 'events' | 'pause' | 'unpause' | 'rm';

export interface Request {
  id: number;
  method: Method;
  params: Record<string, unknown>;
}

export interface WireError {
  code: ErrorCode;
  message: string;
  details: string[];
}

export type Reply =
  | { id: number; event: unknown }
  | { id: number; result: unknown }
  | { id: number; error: WireError };

/** Split a socket's data into parsed JSON lines. */
export function onLines(sock: Socket, fn: (msg: unknown) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim() === '') continue;
      try {
        fn(JSON.parse(line) as unknown);
      } catch {
        // a malformed line is dropped; the peer gets no answer for it
      }
    }
  });
}

export function send(sock: Socket, msg: Reply | Request): void {
  if (!sock.destroyed && sock.writable) sock.write(`${JSON.stringify(msg)}\n`);
}

export function isRequest(v: unknown): v is Request {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.id === 'number' && typeof o.method === 'string' && typeof o.params === 'object' && o.params !== null;
}
