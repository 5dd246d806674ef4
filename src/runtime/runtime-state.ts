/**
 * The runtime's view of one container, and the pure parser of the shim's exit.json
 * (native/README.md). Malformed input gives undefined, never a throw.
 */
import type { ContainerStatus, ExitInfo } from './api.js';

export interface RuntimeState {
  id: string;
  status: ContainerStatus;
  /** PID 1 of the container (host pid). */
  pid?: number;
  shimPid?: number;
  createdAt?: string;
  startedAt?: string;
  exit?: ExitInfo;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function parseExit(v: unknown): ExitInfo | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const exitCode = num(o.exitCode);
  if (exitCode === undefined) return undefined;
  const out: ExitInfo = { exitCode, oomKilled: o.oomKilled === true, finishedAt: str(o.finishedAt) ?? new Date().toISOString() };
  const signal = str(o.signal);
  if (signal !== undefined) out.signal = signal;
  return out;
}

export function parseExitText(text: string): ExitInfo | undefined {
  try {
    return parseExit(JSON.parse(text));
  } catch {
    return undefined;
  }
}
