/**
 * The supervisor's socket server: decodes requests and dispatches them to the handlers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Project } from '../spec/model.js';
import type { ContainerEvent, DownOptions, ProgressEvent, UpOptions } from '../api.js';
import { TscError, isTscError } from '../errors.js';
import type { Controller } from './controller.js';
import { withRestartDependents } from '../health/dependency.js';
import { handleDown, handleScale, handleStart, handleStop, handleUp, hasAnyContainer } from './handlers.js';
import { handlePause } from './handle-pause.js';
import { handleRm } from './handle-rm.js';
import { isRequest, onLines, send, type Request } from './protocol.js';
import { asLoadInputs, inputsDiffer } from '../spec/inputs.js';
import { willRestart } from './restarting.js';
import { isServiceContainer } from './labels.js';
import { isFrozen } from '../runtime/freezer.js';
import { cgroupsPathFor } from '../runtime/oci-config.js';

export interface ServerHooks {
  stateFile: string;
  /** Called after a `down` completed and was answered: the supervisor exits. */
  onDown(): void;
  /**
   * Called after a `down` completed, before its answer: all the exit does but exiting (helpers gone,
   * socket, lock and project directory removed), so that the answer is followed by nothing but the exit.
   */
  beforeDownAnswer?(): Promise<void>;
  /** Called on every request (idle tracking). */
  onRequest?(): void;
  /** A `down` begins (the watchdog is let go while the containers stop) / failed (it is started again). */
  onDownBegin?(): void;
  onDownFailed?(): void;
}

const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const projectOf = (v: unknown): Project => {
  if (typeof v !== 'object' || v === null || typeof (v as { name?: unknown }).name !== 'string') throw new TscError('USAGE', 'request without a project');
  return v as Project;
};

/** Keeps the load inputs sent with the project now in effect (none: nothing kept). */
function keepInputs(c: Controller, project: Project, inputs: unknown): void {
  const li = asLoadInputs(inputs);
  c.loaded = li && c.st.project === project ? { inputs: li, project } : undefined;
}

/**
 * The project an early `down` is about: the one kept, if the command line's directory, global options,
 * environment and the files its load would read are all what they were when it was loaded.
 */
function earlyDownProject(c: Controller, early: unknown): { project: Project; warnings: unknown[] } | undefined {
  const kept = c.loaded;
  if (!kept || c.closed || c.st.project !== kept.project || typeof early !== 'object' || early === null) {
    c.deps.log('down: the files are loaded by the command line (no load inputs kept for the project in effect)');
    return undefined;
  }
  const e = early as { cwd?: unknown; args?: unknown; env?: unknown };
  if (typeof e.cwd !== 'string' || !Array.isArray(e.args) || typeof e.env !== 'object' || e.env === null) return undefined;
  const ask = { cwd: e.cwd, args: e.args.map(String), env: e.env as Record<string, string> };
  const differs = inputsDiffer(kept.inputs, ask);
  if (differs === undefined) return { project: kept.project, warnings: kept.inputs.warnings };
  c.deps.log(`down: the files are loaded by the command line (${differs})`);
  return undefined;
}

async function dispatch(c: Controller, req: Request, sock: Socket, hooks: ServerHooks): Promise<unknown> {
  const p = req.params;
  const progress = (e: ProgressEvent): void => send(sock, { id: req.id, event: e });
  const down = async (project: Project | undefined): Promise<unknown> => {
    hooks.onDownBegin?.();
    try {
      await handleDown(c, project, p.options as DownOptions, progress, hooks.stateFile);
    } catch (e) {
      hooks.onDownFailed?.();
      throw e;
    }
    await hooks.beforeDownAnswer?.();
    setImmediate(() => {
      hooks.onDown(); // nothing left but process.exit, a microtask away
      // The CLI returns at this end's close: closed now (the answer written), it does not also wait
      // for the kernel to free this process's memory (the fd would close only after that).
      if (sock.writableLength === 0) sock.destroy();
    });
    return {};
  };
  switch (req.method) {
    case 'ping':
      return { pid: process.pid, project: c.st.name };
    case 'up':
      try {
        const project = projectOf(p.project);
        const result = await handleUp(c, project, p.options as UpOptions, progress);
        keepInputs(c, project, p.inputs);
        return result;
      } catch (e) {
        c.loaded = undefined;
        // a first up that failed before making anything undid what it made (handlers.ts, undoFailedUp):
        // nothing is left for this supervisor, which goes as after a down
        if (c.st.project === undefined && !c.closed && !(await hasAnyContainer(c))) {
          await hooks.beforeDownAnswer?.();
          setImmediate(() => hooks.onDown());
        }
        throw e;
      }
    case 'scale': {
      const project = projectOf(p.project);
      c.loaded = undefined;
      const result = await handleScale(c, project, p.scale as Record<string, number>, progress);
      keepInputs(c, project, p.inputs);
      return result;
    }
    case 'stop':
      return handleStop(c, strList(p.services), num(p.timeoutMs), progress);
    case 'kill':
      return handleStop(c, strList(p.services), undefined, progress, typeof p.signal === 'string' ? p.signal : 'SIGKILL');
    case 'start':
      return handleStart(c, strList(p.services), progress);
    case 'restart': {
      // as Compose: dependents with depends_on restart: true follow the named services, unless --no-deps
      const named = strList(p.services);
      const sel = named.length === 0 || p.noDeps === true ? named : withRestartDependents(c.project?.services ?? {}, named);
      return handleStart(c, sel, progress, true);
    }
    case 'downEarly': {
      // a `down` sent before its CLI loaded the files (src/cli/early-request.ts): served only if they
      // would load the project kept. A method of its own: a supervisor that predates it answers nothing
      // (the CLI then asks with `down`), rather than take it for a down of whatever project it has.
      const kept = earlyDownProject(c, p.early);
      if (!kept) return { declined: true };
      send(sock, { id: req.id, event: { type: 'accepted', project: c.st.name, warnings: kept.warnings } });
      return down(kept.project);
    }
    case 'down':
      return down(p.project === undefined ? undefined : projectOf(p.project));
    case 'ps': {
      // `oneOffs`: the `run` containers too (the controller's observe() leaves them out), for the CLI's ps
      const oneOffs = p.oneOffs === true ? c.deps.runtime.list({ project: c.st.name }) : Promise.resolve([]);
      const [services, others] = await Promise.all([c.observe(), oneOffs]);
      // not a container whose create is still failing (Controller.inCreate); one being made that runs is listed
      const infos = [...services, ...others.filter((i) => i.project === c.st.name && !isServiceContainer(i))].filter((i) => i.status === 'running' || !c.inCreate.has(i.id));
      // paused (cgroup frozen) here, where the runtime is loaded: the CLI's `ps` then needs none of it
      return Promise.all(infos.map(async (i) => ({
        ...i,
        health: c.health.get(i.id) ?? '',
        restarting: isServiceContainer(i) && willRestart(i, c.st, c.backoff),
        paused: i.status === 'running' && (await isFrozen(cgroupsPathFor(i.project, i.id)).catch(() => false)),
      })));
    }
    case 'pause':
    case 'unpause':
      return handlePause(c, strList(p.services), req.method === 'pause', progress);
    case 'rm':
      return handleRm(c, strList(p.ids), p.volumes === true, progress);
    case 'events': {
      // `until`: only what came before it, and the stream ends then (ISO times compare as strings)
      const until = typeof p.until === 'string' ? p.until : undefined;
      const fn = (e: ContainerEvent): void => {
        if (until === undefined || e.time < until) send(sock, { id: req.id, event: e });
      };
      // `since`: what this supervisor remembers from after it (`events --since`; a stream that lost its
      // supervisor, down then up, asks for what the new one did before the stream found it)
      if (typeof p.since === 'string') for (const e of c.recentEvents) if (e.time > p.since) fn(e);
      const left = until === undefined ? Infinity : Date.parse(until) - Date.now();
      if (left <= 0) return {};
      c.bus.on('event', fn);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((res) => {
        sock.once('close', () => res());
        if (left !== Infinity) timer = setTimeout(res, Math.min(left, 2 ** 31 - 1));
      });
      clearTimeout(timer);
      c.bus.off('event', fn);
      return {};
    }
  }
}

export async function listen(path: string, c: Controller, hooks: ServerHooks): Promise<Server> {
  // blocking calls (a directory of sockets: microseconds), not the thread pool, where they queued behind
  // whatever the supervisor's start has in flight while `up` waits for this socket
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    unlinkSync(path); // a socket left by a supervisor that was killed (rmSync would load rimraf)
  } catch {
    // none
  }
  const server = createServer((sock) => {
    sock.on('error', () => undefined);
    onLines(sock, (msg) => {
      if (!isRequest(msg)) return;
      hooks.onRequest?.();
      dispatch(c, msg, sock, hooks).then(
        (result) => send(sock, { id: msg.id, result: result ?? {} }),
        (e: unknown) => {
          const err = isTscError(e) ? e : new TscError('INTERNAL', e instanceof Error ? e.message : String(e));
          if (!isTscError(e)) c.deps.log(`request ${msg.method} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          send(sock, { id: msg.id, error: { code: err.code, message: err.message, details: [...err.details] } });
        },
      );
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res());
  });
  chmodSync(path, 0o600);
  return server;
}
