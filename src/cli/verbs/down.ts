/** `down [-v] [--remove-orphans] [-t N]`: stop and remove containers, networks (and volumes with -v). */
import type { Command } from 'commander';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('Stop and remove containers, networks')
    .option('-v, --volumes', 'remove named volumes declared in the volumes section and anonymous volumes')
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('-t, --timeout <seconds>', 'shutdown timeout in seconds')
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet')
    .action(async (flags: { volumes?: boolean; removeOrphans?: boolean; timeout?: string }, cmd: Command) => {
      const [{ createEngine }, ref, { withProgress }] = await Promise.all([
        import('../../engine/index.js'), import('../project-ref.js'), import('../progress.js'),
      ]);
      const p = await ref.projectRef(cmd);
      const t = ref.timeoutMs(flags.timeout);
      await withProgress(ref.progressMode(cmd), `Removing project ${p.name}`, (on) =>
        createEngine().down(p.project ?? p.name, { volumes: flags.volumes === true, removeOrphans: flags.removeOrphans === true, ...(t !== undefined ? { timeoutMs: t } : {}) }, on),
      );
    });
}
