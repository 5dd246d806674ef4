/** `down [-v] [--remove-orphans] [-t N] [--rmi local|all]`: stop and remove containers, networks (volumes with -v, images with --rmi). */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';
import { printWarnings } from '../global-options.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('Stop and remove containers, networks')
    .option('-v, --volumes', 'remove named volumes declared in the volumes section and anonymous volumes')
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('-t, --timeout <seconds>', 'shutdown timeout in seconds')
    .option('--rmi <type>', 'remove images used by services: "local" only those without a custom tag, or "all"')
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet')
    .option(...JSON_OPTION)
    .action(async (flags: { volumes?: boolean; removeOrphans?: boolean; timeout?: string; rmi?: string }, cmd: Command) => {
      const [{ createEngine, claimEarlyDown }, ref, { withProgress }, rmi, { removalSteps }] = await Promise.all([
        import('../../engine/index.js'), import('../project-ref.js'), import('../progress.js'), import('./down-rmi.js'), import('../progress-names.js'),
      ]);
      const mode = rmi.parseRmi(flags.rmi);
      // sent before this module loaded, and taken by the supervisor: the files need not load (src/cli/early-request.ts)
      const early = await claimEarlyDown();
      if (early) {
        if (process.env.TSCOMPOSE_DEBUG) process.stderr.write('debug: down taken by the supervisor before the files loaded\n');
        printWarnings(early.warnings);
        await withProgress(ref.progressMode(cmd), `Removing project ${early.project}`, (reported) => early.finish(removalSteps(reported)));
        process.exit();
      }
      const p = await ref.projectRef(cmd);
      const t = ref.timeoutMs(flags.timeout);
      const engine = createEngine();
      // the images are known before the containers that name them go
      const images = mode ? rmi.imagesToRemove(mode, p.project, p.project ? [] : (await engine.ps(p.name, { all: true, services: [] })).map((r) => r.Image)) : [];
      await withProgress(ref.progressMode(cmd), `Removing project ${p.name}`, async (reported) => {
        const on = removalSteps(reported);
        await engine.down(p.project ?? p.name, { volumes: flags.volumes === true, removeOrphans: flags.removeOrphans === true, ...(t !== undefined ? { timeoutMs: t } : {}) }, on);
        await rmi.removeImages(images, on);
      });
      // Nothing is left to do: exit now rather than let Node free its heap page by page at the end of
      // the event loop (tens of ms here). Output is written synchronously (files, pipes and TTYs on Linux).
      process.exit();
    });
}
