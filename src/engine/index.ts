/**
 * The Engine (src/api.ts) as the CLI uses it: mutating verbs are requests to the project's supervisor
 * (started detached when none runs); ps, logs, top and exec read the runtime's records directly so they
 * work, and stay fast, whether or not a supervisor runs.
 */
import type { Project } from '../spec/model.js';
import { inputsOf, type LoadInputs } from '../spec/inputs.js';
import type { ContainerInfo } from '../runtime/api.js';
import type { ContainerEvent, ContainerSummary, Engine, OnProgress, ProgressEvent, TopResult, UpResult } from '../api.js';
import { TscError, isTscError } from '../errors.js';
import { defaultPaths, type Paths } from '../state/paths.js';
import { ensureSupervisor, findSupervisor, SpareSupervisor, SupervisorClient } from '../supervisor/client.js';
import { takeEarlyRequest, type SentRequest } from '../cli/early-request.js';
import { createRuntime } from '../supervisor/deps.js';
import { isServiceContainer } from '../supervisor/labels.js';
import { toSummary } from './format.js';
import { byteOrder } from '../order.js';
import { asPaused, markPaused, refusePaused } from './paused.js';
import { streamLogs } from './logs.js';
import { processesOf } from './top.js';

const asProgress = (fn: OnProgress) => (e: unknown): void => fn(e as ProgressEvent);

/** The load inputs of a project this CLI loaded, for its supervisor to keep (src/spec/inputs.ts). */
const withInputs = (project: Project): { inputs?: LoadInputs } => {
  const inputs = inputsOf(project);
  return inputs ? { inputs } : {};
};

/** How long `down` waits for the supervisor to exit after its answer (it normally takes milliseconds). */
const DOWN_EXIT_WAIT_MS = 5_000;

async function withClient<T>(paths: Paths, project: string, fn: (c: SupervisorClient) => Promise<T>, spare?: SpareSupervisor): Promise<T> {
  const c = await ensureSupervisor(paths, project, spare);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function isUpResult(v: unknown): UpResult {
  const o = (typeof v === 'object' && v !== null ? v : {}) as { changed?: unknown; orphans?: unknown };
  return { changed: o.changed === true, orphans: Array.isArray(o.orphans) ? o.orphans.map(String) : [] };
}

/**
 * The connection of the request this CLI sent early for `verb` (src/cli/early-request.ts), as a client
 * whose request 1 is that one; none when there is none, or it failed (then closed).
 */
function adoptEarly(verb: 'down' | 'ps', paths: Paths, project?: string): { sent?: SentRequest; client?: SupervisorClient } {
  const sent = takeEarlyRequest(verb, paths, project);
  const client = sent && !sent.failed ? SupervisorClient.adopt(sent.sock, 2) : undefined;
  if (!client) sent?.sock.destroy();
  return { ...(sent ? { sent } : {}), ...(client ? { client } : {}) };
}

/** A `down` the supervisor took from the command line alone (src/cli/early-request.ts). */
export interface EarlyDown {
  /** The project's name, as the supervisor has it. */
  project: string;
  /** The load warnings of the project (Compose prints them on every command that loads it). */
  warnings: Array<{ location: string; path: string; message: string }>;
  /** Its progress to `onProgress` (what came already first); resolves once the supervisor has exited. */
  finish(onProgress: OnProgress): Promise<void>;
}

/**
 * The early `down` this CLI sent, if its supervisor took it; undefined when none was sent or it was
 * declined (the files then load and `down` is asked as usual).
 */
export async function claimEarlyDown(paths: Paths = defaultPaths()): Promise<EarlyDown | undefined> {
  const { sent, client } = adoptEarly('down', paths);
  if (!sent || !client) return undefined;
  const queued: unknown[] = [];
  let sink: ((e: unknown) => void) | undefined;
  let accept: (e: { project?: unknown; warnings?: unknown }) => void = () => undefined;
  const accepted = new Promise<{ project?: unknown; warnings?: unknown }>((r) => (accept = r));
  const answer = client.reply(1, (e) => {
    if (typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'accepted') accept(e);
    else if (sink) sink(e);
    else queued.push(e);
  });
  answer.catch(() => undefined); // awaited in finish()
  // the first word decides: "accepted", or an answer without it (declined; an older supervisor's error)
  const first = await Promise.race([accepted, answer.then(() => undefined, () => undefined)]);
  if (!first) {
    client.close();
    return undefined;
  }
  return {
    project: typeof first.project === 'string' ? first.project : sent.project,
    warnings: Array.isArray(first.warnings) ? (first.warnings as EarlyDown['warnings']) : [],
    finish: async (onProgress) => {
      sink = asProgress(onProgress);
      for (const e of queued.splice(0)) sink(e);
      try {
        await answer;
        await exitOf(client);
      } finally {
        client.close();
      }
    },
  };
}

/** The answer to the `ps` this CLI sent early for `project` (all rows, one-offs too); undefined when there is none. */
async function earlyPs(paths: Paths, project: string): Promise<unknown[] | undefined> {
  const { client } = adoptEarly('ps', paths, project);
  if (!client) return undefined;
  try {
    const rows = await client.reply(1, () => undefined);
    return Array.isArray(rows) ? rows : undefined;
  } catch {
    return undefined; // no supervisor answered: as without the early request
  } finally {
    client.close();
  }
}

/** The supervisor exits after answering a down (see down below); waits for that, a few seconds at most. */
async function exitOf(c: SupervisorClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([c.ended, new Promise<void>((r) => (timer = setTimeout(r, DOWN_EXIT_WAIT_MS)))]);
  clearTimeout(timer);
}

export function createEngine(paths: Paths = defaultPaths()): Engine {
  let spare: SpareSupervisor | undefined;
  const takeSpare = (): SpareSupervisor | undefined => {
    const s = spare;
    spare = undefined;
    return s;
  };
  /**
   * `paused` comes from the supervisor (which has the runtime loaded); undefined: not known here.
   * `oneOffs`: with the one-off `run` containers (only `ps` lists them; logs, top and exec are the services').
   */
  const containers = async (project: string, oneOffs = false): Promise<{ info: ContainerInfo; health: string; restarting?: boolean; paused?: boolean }[]> => {
    type Row = ContainerInfo & { health: string; restarting?: boolean; paused?: boolean };
    const rowsOf = (rows: Row[]): { info: ContainerInfo; health: string; restarting?: boolean; paused?: boolean }[] =>
      rows.filter((r) => oneOffs || isServiceContainer(r)).map((r) => ({ info: r, health: r.health, restarting: r.restarting === true, ...(typeof r.paused === 'boolean' ? { paused: r.paused } : {}) }));
    // asked by `ps` before this module loaded (src/cli/early-request.ts), with the one-off containers
    const early = await earlyPs(paths, project);
    if (early) return rowsOf(early as Row[]);
    const sup = await findSupervisor(paths, project);
    if (sup) {
      try {
        return rowsOf((await sup.request('ps', oneOffs ? { oneOffs: true } : {})) as Row[]);
      } finally {
        sup.close();
      }
    }
    const rt = await createRuntime(paths);
    const all = await rt.list({ project });
    return all.filter((c) => c.project === project && (oneOffs || isServiceContainer(c))).map((info) => ({ info, health: '' }));
  };
  const select = (rows: { info: ContainerInfo }[], services: string[]): ContainerInfo[] =>
    rows.map((r) => r.info).filter((c) => services.length === 0 || services.includes(c.service));

  return {
    prepare: () => {
      spare ??= SpareSupervisor.start(paths);
    },

    up: (project, opts, onProgress) =>
      withClient(paths, project.name, async (c) => isUpResult(await c.request('up', { project, options: opts, ...withInputs(project) }, asProgress(onProgress))), takeSpare()),

    down: async (project, opts, onProgress) => {
      const name = typeof project === 'string' ? project : project.name;
      await withClient(paths, name, async (c) => {
        await c.request('down', { ...(typeof project === 'string' ? {} : { project }), options: opts }, asProgress(onProgress));
        // the supervisor exits after answering a down, its helpers gone before the answer: its end of the
        // socket closes as it calls exit, so returning then leaves no process of the project behind
        await exitOf(c);
      });
    },

    ps: async (project, opts) => {
      const rows = await containers(project, opts.oneOffs === true);
      const now = Date.now();
      const summaries = rows.map((r) => {
        const s = toSummary(r.info, r.health, now, r.restarting === true);
        return r.paused === true && s.State === 'running' ? asPaused(s) : s;
      });
      // without a supervisor's answer, the CLI reads the cgroup freezers itself
      return (rows.every((r) => r.paused !== undefined) ? summaries : await markPaused(summaries))
        .filter((s) => opts.all || s.State === 'running' || s.State === 'restarting' || s.State === 'paused')
        .filter((s) => opts.services.length === 0 || opts.services.includes(s.Service))
        .sort((a, b) => byteOrder(a.Name, b.Name));
    },

    logs: async (project, opts, onLine, signal) => {
      const list = async (): Promise<ContainerInfo[]> => (await containers(project)).map((r) => (r.restarting ? { ...r.info, restarting: true } : r.info));
      await streamLogs(list, opts, onLine, signal);
    },

    scale: (project: Project, scale, onProgress) =>
      withClient(paths, project.name, async (c) => isUpResult(await c.request('scale', { project, scale, ...withInputs(project) }, asProgress(onProgress)))),

    restart: async (project, services, opts, onProgress) => {
      await withClient(paths, project, (c) => c.request('restart', { services, ...opts }, asProgress(onProgress)));
    },
    stop: async (project, services, opts, onProgress) => {
      await withClient(paths, project, (c) => c.request('stop', { services, ...opts }, asProgress(onProgress)));
    },
    start: async (project, services, onProgress) => {
      await withClient(paths, project, (c) => c.request('start', { services }, asProgress(onProgress)));
    },
    kill: async (project, services, signal, onProgress) => {
      await withClient(paths, project, (c) => c.request('kill', { services, signal }, asProgress(onProgress)));
    },

    top: async (project, services) => {
      const out: TopResult[] = [];
      for (const c of select(await containers(project), services).sort((a, b) => byteOrder(a.name, b.name))) {
        if (c.status !== 'running' || c.pid === undefined) continue;
        out.push({ container: c.name, processes: await processesOf(c.pid) });
      }
      return out;
    },

    events: async (project, onEvent, signal, opts = {}) => {
      // as Compose's (the daemon's stream): listening outlives a `down` and follows the next `up`'s supervisor
      // (and the events a new supervisor sent before the stream found it are asked for with `since`)
      let c: SupervisorClient | undefined = await ensureSupervisor(paths, project);
      let since: string | undefined = opts.since;
      const over = (): boolean => opts.until !== undefined && new Date().toISOString() >= opts.until;
      // the first request is made even with `until` past: it replays what came between `since` and `until`
      for (let first = true; first || (!signal?.aborted && !over()); first = false) {
        if (c && signal?.aborted) c.close();
        else if (c) {
          const client = c;
          const stop = (): void => client.close();
          signal?.addEventListener('abort', stop, { once: true });
          try {
            await client.request('events', { ...(since !== undefined ? { since } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}) }, (e) => {
              since = (e as ContainerEvent).time;
              onEvent(e as ContainerEvent);
            });
          } catch (e) {
            if (!signal?.aborted && !(isTscError(e) && e.code === 'SUPERVISOR')) throw e;
          } finally {
            signal?.removeEventListener('abort', stop);
            client.close();
          }
          since ??= new Date().toISOString();
        }
        if (signal?.aborted || over()) return;
        await new Promise((r) => setTimeout(r, 250));
        c = await findSupervisor(paths, project);
      }
    },

    exec: async (project, opts) => {
      const rows = select(await containers(project), [opts.service]).filter((c) => c.number === opts.index);
      const target = rows.find((c) => c.status === 'running');
      if (!target) throw new TscError('NOT_FOUND', `service "${opts.service}" is not running container #${opts.index}`);
      await refusePaused(target);
      const rt = await createRuntime(paths);
      const r = await rt.exec(target.id, {
        argv: opts.argv,
        env: opts.env,
        ...(opts.user ? { user: opts.user } : {}),
        ...(opts.workdir ? { workingDir: opts.workdir } : {}),
        tty: opts.tty,
        inheritStdio: true,
        ...(opts.detach ? { detach: true } : {}),
        ...(opts.privileged ? { privileged: true } : {}),
      });
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      return r.exitCode;
    },
  };
}

export type { ContainerSummary };
