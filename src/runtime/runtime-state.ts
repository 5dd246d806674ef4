/**
 * Pure parsers of what tsc-runtime reports: the `state` / `list` JSON lines and the shim's exit.json
 * (native/README.md). Unknown or malformed input gives undefined, never a throw.
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

function mapStatus(s: unknown): ContainerStatus | undefined {
  switch (s) {
    case 'creating':
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
      return 'running';
    case 'stopped':
      return 'stopped';
    default:
      return undefined;
  }
}

export function parseState(v: unknown): RuntimeState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const id = str(o.id);
  const status = mapStatus(o.status);
  if (id === undefined || status === undefined) return undefined;
  const st: RuntimeState = { id, status };
  const pid = num(o.pid);
  if (pid !== undefined && pid > 0) st.pid = pid;
  const shimPid = num(o.shimPid);
  if (shimPid !== undefined && shimPid > 0) st.shimPid = shimPid;
  const createdAt = str(o.createdAt);
  if (createdAt !== undefined) st.createdAt = createdAt;
  const startedAt = str(o.startedAt);
  if (startedAt !== undefined) st.startedAt = startedAt;
  if (status === 'stopped') {
    const exit = parseExit(o);
    if (exit) st.exit = exit;
  }
  return st;
}

/** `list` output: one JSON object per line. */
export function parseStateLines(text: string): RuntimeState[] {
  const out: RuntimeState[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const s = parseState(JSON.parse(line));
      if (s) out.push(s);
    } catch {
      // a partial line from a concurrent writer: skip it
    }
  }
  return out;
}
