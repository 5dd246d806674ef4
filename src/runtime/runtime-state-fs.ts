/**
 * The runtime's view of a container read straight from tsc-runtime's state directory
 * (`<runtime root>/<id>/`: state.json, exit.json, the `start` FIFO), with the same rules as its
 * `state` verb (native/src/state.c), but without spawning a process per container — `ps` of 100
 * containers reads 100 small files instead of running the binary 100 times.
 *
 * A pid counts only together with its start time (/proc/PID/stat field 22), so a reused pid is never
 * taken for the container. PID 1 gone while the shim lives means the shim is draining logs and about to
 * write exit.json: we wait for it a little, as the tool does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from '../state/proc.js';
import { parseExit, type RuntimeState } from './runtime-state.js';

// Small files on tmpfs, read with one blocking call each: through fs/promises every read costs four
// thread-pool round trips, queued behind a scale-down's slow unlinks and rmdirs (and far more CPU).
function readJson(p: string): unknown {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function field(o: unknown, k: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined;
}

function alive(pid: unknown, start: unknown): boolean {
  if (typeof pid !== 'number' || pid <= 0 || (typeof start !== 'number' && typeof start !== 'string')) return false;
  const now = processStartTime(pid);
  return now !== undefined && now === String(start);
}

/** undefined: the runtime has no such container. */
export async function readRuntimeState(runtimeRoot: string, id: string): Promise<RuntimeState | undefined> {
  const dir = join(runtimeRoot, id);
  const st = readJson(join(dir, 'state.json'));
  if (st === undefined) return existsSync(dir) ? { id, status: 'created' } : undefined;
  let exitRaw = readJson(join(dir, 'exit.json'));
  const pidAlive = (): boolean => alive(field(st, 'pid'), field(st, 'pidStartTime'));
  const shimAlive = (): boolean => alive(field(st, 'shimPid'), field(st, 'shimStartTime'));
  for (let i = 0; exitRaw === undefined && i < 300 && !pidAlive() && shimAlive(); i++) {
    await new Promise((r) => setTimeout(r, 10));
    exitRaw = readJson(join(dir, 'exit.json'));
  }
  // the shim may have written exit.json and exited between our last read and its liveness check
  if (exitRaw === undefined && !pidAlive()) exitRaw = readJson(join(dir, 'exit.json'));
  const out: RuntimeState = { id, status: 'running' };
  const shimPid = field(st, 'shimPid');
  if (typeof shimPid === 'number' && shimPid > 0) out.shimPid = shimPid;
  const createdAt = field(st, 'createdAt');
  if (typeof createdAt === 'string') out.createdAt = createdAt;
  const startedAt = field(st, 'startedAt');
  if (typeof startedAt === 'string' && startedAt !== '') out.startedAt = startedAt;
  const exit = parseExit(exitRaw);
  if (exit || !pidAlive()) {
    out.status = 'stopped';
    if (exit) out.exit = exit;
    return out;
  }
  out.status = existsSync(join(dir, 'start')) ? 'created' : 'running';
  const pid = field(st, 'pid');
  if (typeof pid === 'number') out.pid = pid;
  return out;
}
