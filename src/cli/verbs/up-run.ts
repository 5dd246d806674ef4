/** The work of `up` (imported only when the verb runs). */
import type { Command } from 'commander';
import { TscError } from '../../errors.js';
import { createEngine } from '../../engine/index.js';
import { loadProjectFor, parseScale, progressMode, timeoutMs } from '../project-ref.js';
import { withProgress } from '../progress.js';
import { composeWords, waitWords } from '../progress-names.js';
import { makePrinter } from '../log-printer.js';
import type { UpFlags } from './up.js';
import { attachedServices } from './up-attach.js';
import { withDependencies } from '../../controller/order.js';

export async function runUp(cmd: Command, services: string[], flags: UpFlags): Promise<number> {
  if (flags.forceRecreate && !flags.recreate) throw new TscError('USAGE', '--force-recreate and --no-recreate are incompatible');
  if (flags.alwaysRecreateDeps && !flags.recreate) throw new TscError('USAGE', '--always-recreate-deps and --no-recreate are incompatible');
  const t0 = Date.now();
  const engine = createEngine();
  engine.prepare?.(); // the supervisor starts while the project loads
  const project = await loadProjectFor(cmd, services);
  checkAttachFlags(flags, services, (s) => project.services[s] !== undefined);
  const attached = attachedServices(Object.keys(project.services), services, flags, (s) => withDependencies(project.services, s));
  const waitMs = timeoutMs(flags.waitTimeout);
  const pull = flags.pull;
  if (pull !== undefined && pull !== 'always' && pull !== 'missing' && pull !== 'never') throw new TscError('USAGE', `invalid --pull ${JSON.stringify(pull)}: expected "always", "missing" or "never"`);
  const result = await withProgress(progressMode(cmd), `Starting project ${project.name}`, async (on) => {
    // --wait: the end of the wait said as Compose says it (Waiting, then Healthy)
    const words = flags.wait === true ? waitWords(composeWords('up', on)) : undefined;
    const r = engine.up(project, {
      services,
      scale: parseScale(flags.scale),
      noStart: !flags.start,
      forceRecreate: flags.forceRecreate === true,
      ...(flags.alwaysRecreateDeps ? { alwaysRecreateDeps: true } : {}),
      noRecreate: !flags.recreate,
      removeOrphans: flags.removeOrphans === true,
      wait: flags.wait === true,
      ...(waitMs !== undefined ? { waitTimeoutMs: waitMs } : {}),
      ...(pull !== undefined ? { pull } : {}),
      ...(flags.deps === false ? { noDeps: true } : {}),
      ...(flags.renewAnonVolumes ? { renewAnonVolumes: true } : {}),
    }, words?.on ?? composeWords('up', on));
    if (!words) return r;
    return r.then((v) => (words.done(true), v), (e: unknown) => {
      words.done(false);
      throw e;
    });
  });
  if (!result.changed) process.stderr.write(`Project ${project.name} is up to date: nothing to change\n`);
  if (flags.detach || flags.wait || !flags.start) return 0;
  return attach(engine, project.name, services, attached, flags, t0);
}

/** Compose's up flags that only make sense attached, checked before anything starts. */
function checkAttachFlags(flags: UpFlags, services: string[], known: (s: string) => boolean): void {
  const abort = flags.abortOnContainerExit === true || flags.abortOnContainerFailure === true || flags.exitCodeFrom !== undefined;
  if (abort && (flags.detach || flags.wait)) throw new TscError('USAGE', '--abort-on-container-exit, --abort-on-container-failure and --exit-code-from are incompatible with --detach and --wait');
  if ((flags.detach || flags.wait) && ((flags.attach?.length ?? 0) > 0 || flags.attachDependencies)) throw new TscError('USAGE', '--attach and --attach-dependencies are incompatible with --detach and --wait');
  if (flags.abortOnContainerExit && flags.abortOnContainerFailure) throw new TscError('USAGE', '--abort-on-container-exit and --abort-on-container-failure are incompatible');
  const from = flags.exitCodeFrom;
  if (from !== undefined && !known(from)) throw new TscError('NOT_FOUND', `no such service: ${from}`);
  if (from !== undefined && services.length > 0 && !services.includes(from)) throw new TscError('USAGE', `--exit-code-from ${from}: not among the services to start`);
}

/**
 * Foreground `up`: logs of the named services (all when none) until every container stopped or Ctrl-C
 * (graceful stop; twice: kill). As Compose, each container that exits is announced
 * (`web-1 exited with code 0`); with --abort-on-container-exit / --exit-code-from the first exit stops
 * the stack and sets our exit status (that container's, or the --exit-code-from service's).
 */
async function attach(engine: ReturnType<typeof createEngine>, name: string, services: string[], attached: string[], flags: UpFlags, t0: number): Promise<number> {
  const ac = new AbortController();
  const abortOnExit = flags.abortOnContainerExit === true || flags.abortOnContainerFailure === true || flags.exitCodeFrom !== undefined;
  // --abort-on-container-failure: only an exit with a non-zero status stops the stack
  const failureOnly = flags.abortOnContainerFailure === true && flags.abortOnContainerExit !== true && flags.exitCodeFrom === undefined;
  const stopTimeout = timeoutMs(flags.timeout);
  const stopOpts = stopTimeout !== undefined ? { timeoutMs: stopTimeout } : {};
  const shown = attached.length === 0 ? [] : await engine.ps(name, { all: true, services: attached }).catch(() => []);
  const width = Math.max(0, ...shown.map((r) => `${r.Service}-${r.Number}`.length));
  const print = makePrinter({ prefix: flags.logPrefix, timestamps: flags.timestamps === true, color: flags.color && process.stdout.isTTY === true, width });
  let interrupts = 0;
  let status = 0;
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= engine.stop(name, [], stopOpts, (e) => {
      if (e.type === 'resource' && e.done) process.stderr.write(` ${e.resource}  ${e.status}\n`);
    }).catch(() => undefined).finally(() => ac.abort()));
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
      status = 130;
      void stopAll();
    } else if (interrupts === 2) {
      process.stderr.write('Killing containers...\n');
      void engine.kill(name, [], 'SIGKILL', () => undefined).finally(() => ac.abort());
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const seen = new Set<string>();
  const announced = new Set<string>();
  const watch = (async () => {
    let quiet = 0;
    while (!ac.signal.aborted) {
      await new Promise((r) => setTimeout(r, 500));
      const rows = await engine.ps(name, { all: true, services }).catch(() => []);
      for (const r of rows) if (r.State === 'running' || Date.parse(r.CreatedAt) >= t0) seen.add(r.ID);
      const exited = rows.filter((r) => r.State === 'exited' && seen.has(r.ID) && !announced.has(r.ID));
      for (const r of exited) {
        announced.add(r.ID);
        process.stdout.write(`${r.Service}-${r.Number} exited with code ${r.ExitCode}\n`);
      }
      const first = failureOnly ? exited.find((r) => r.ExitCode !== 0) : exited[0];
      if (abortOnExit && first && !stopping && interrupts === 0) {
        process.stderr.write('Aborting on container exit...\n');
        status = first.ExitCode;
        await stopAll();
        if (flags.exitCodeFrom !== undefined) {
          const from = (await engine.ps(name, { all: true, services: [flags.exitCodeFrom] }).catch(() => []))[0];
          status = from?.ExitCode ?? status;
        }
        return;
      }
      quiet = rows.some((r) => r.State === 'running' || r.State === 'restarting') ? 0 : quiet + 1;
      if (quiet >= 6 && interrupts === 0 && !stopping) ac.abort();
    }
  })();
  try {
    // no service attached (--no-attach took them all): nothing to stream, wait as attached anyway
    if (attached.length === 0) await new Promise((r) => ac.signal.addEventListener('abort', r, { once: true }));
    else await engine.logs(name, { services: attached, follow: true, timestamps: flags.timestamps === true }, print, ac.signal);
  } finally {
    ac.abort();
    await watch;
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return status;
}
