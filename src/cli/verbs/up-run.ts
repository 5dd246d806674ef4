/** The work of `up` (imported only when the verb runs). */
import type { Command } from 'commander';
import { TscError } from '../../errors.js';
import { createEngine } from '../../engine/index.js';
import { loadProjectFor, parseScale, progressMode, timeoutMs } from '../project-ref.js';
import { withProgress } from '../progress.js';
import { composeWords } from '../progress-names.js';
import { makePrinter } from '../log-printer.js';
import type { UpFlags } from './up.js';

export async function runUp(cmd: Command, services: string[], flags: UpFlags): Promise<number> {
  if (flags.forceRecreate && !flags.recreate) throw new TscError('USAGE', '--force-recreate and --no-recreate are incompatible');
  const engine = createEngine();
  engine.prepare?.(); // the supervisor starts while the project loads
  const project = await loadProjectFor(cmd, services);
  const waitMs = timeoutMs(flags.waitTimeout);
  const result = await withProgress(progressMode(cmd), `Starting project ${project.name}`, (on) =>
    engine.up(project, {
      services,
      scale: parseScale(flags.scale),
      noStart: !flags.start,
      forceRecreate: flags.forceRecreate === true,
      noRecreate: !flags.recreate,
      removeOrphans: flags.removeOrphans === true,
      wait: flags.wait === true,
      ...(waitMs !== undefined ? { waitTimeoutMs: waitMs } : {}),
    }, composeWords('up', on)),
  );
  if (!result.changed) process.stderr.write(`Project ${project.name} is up to date: nothing to change\n`);
  if (flags.detach || flags.wait || !flags.start) return 0;
  return attach(engine, project.name, flags);
}

/** Foreground `up`: logs until every container stopped or Ctrl-C (graceful stop; twice: kill). */
async function attach(engine: ReturnType<typeof createEngine>, name: string, flags: UpFlags): Promise<number> {
  const ac = new AbortController();
  const shown = await engine.ps(name, { all: true, services: [] }).catch(() => []);
  const width = Math.max(0, ...shown.map((r) => `${r.Service}-${r.Number}`.length));
  const print = makePrinter({ prefix: flags.logPrefix, timestamps: flags.timestamps === true, color: process.stdout.isTTY === true, width });
  let interrupts = 0;
  let status = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
      status = 130;
      void engine.stop(name, [], {}, (e) => e.type === 'resource' && e.done && process.stderr.write(` ${e.resource}  ${e.status}\n`))
        .finally(() => ac.abort());
    } else if (interrupts === 2) {
      process.stderr.write('Killing containers...\n');
      void engine.kill(name, [], 'SIGKILL', () => undefined).finally(() => ac.abort());
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const idle = (async () => {
    let quiet = 0;
    while (!ac.signal.aborted) {
      await new Promise((r) => setTimeout(r, 1000));
      const running = await engine.ps(name, { all: false, services: [] }).catch(() => []);
      quiet = running.length === 0 ? quiet + 1 : 0;
      if (quiet >= 3 && interrupts === 0) ac.abort();
    }
  })();
  try {
    await engine.logs(name, { services: [], follow: true, timestamps: flags.timestamps === true }, print, ac.signal);
  } finally {
    ac.abort();
    await idle;
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return status;
}
