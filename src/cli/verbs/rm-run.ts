/** The work of `rm` (imported only when the verb runs). */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { isTscError } from '../../errors.js';
import { createEngine } from '../../engine/index.js';
import { rm } from '../../engine/more-verbs.js';
import { checkServices, progressMode, projectRef } from '../project-ref.js';
import { withProgress } from '../progress.js';
import { removalSteps } from '../progress-names.js';
import type { RmFlags } from './rm.js';

/** Compose removes what does not run: exited, created, restarting (a paused container runs). */
const REMOVABLE = new Set(['exited', 'created', 'restarting', 'dead']);

export const isYes = (answer: string): boolean => /^\s*y(es)?\s*$/i.test(answer);

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return isYes(await rl.question(`? ${question} (y/N) `));
  } finally {
    rl.close();
  }
}

export async function runRm(cmd: Command, services: string[], flags: RmFlags): Promise<void> {
  await checkServices(cmd, services);
  const p = await projectRef(cmd, true);
  const engine = createEngine();
  const mode = progressMode(cmd);
  if (flags.stop) {
    await withProgress(mode, `stop ${p.name}`, (on) => engine.stop(p.name, services, {}, on)).catch((e: unknown) => {
      // nothing to stop is no error: rm goes on to what is stopped
      if (!isTscError(e) || e.code !== 'NOT_FOUND' || !/has no containers/.test(e.message)) throw e;
    });
  }
  const stopped = (await engine.ps(p.name, { all: true, services })).filter((r) => REMOVABLE.has(r.State));
  if (stopped.length === 0) {
    process.stderr.write('No stopped containers\n');
    return;
  }
  const msg = `Going to remove ${stopped.map((r) => r.Name).join(', ')}`;
  if (flags.force || process.stdin.isTTY !== true) process.stdout.write(`${msg}\n`);
  else if (!(await confirm(msg))) return;
  await withProgress(mode, `rm ${p.name}`, (on) => rm(p.name, stopped.map((r) => r.ID), flags.volumes === true, removalSteps(on)));
}
