/** `scale SERVICE=N...`: change replica counts of a running project. */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

export function registerScale(program: Command): void {
  program
    .command('scale')
    .description('Scale services')
    .argument('<service=replicas...>')
    .option('--no-deps', 'don\'t start linked services (accepted; dependencies already run)')
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet')
    .option(...JSON_OPTION)
    .action(async (pairs: string[], _flags: unknown, cmd: Command) => {
      const [{ createEngine }, ref, { withProgress }, { removalSteps }] = await Promise.all([
        import('../../engine/index.js'), import('../project-ref.js'), import('../progress.js'), import('../progress-names.js'),
      ]);
      const scale = ref.parseScale(pairs);
      const project = await ref.loadProjectFor(cmd);
      await withProgress(ref.progressMode(cmd), `Scaling ${Object.keys(scale).join(', ')}`, (on) => createEngine().scale(project, scale, removalSteps(on)));
      // done: exit now rather than let Node free its heap at the end of the event loop (as `down`)
      process.exit();
    });
}
