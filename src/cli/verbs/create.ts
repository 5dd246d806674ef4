/** `create [--force-recreate] [--no-recreate] [--pull P] [--scale S=N] [--remove-orphans] [SERVICE...]`: `up --no-start`. */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

interface CreateFlags { forceRecreate?: boolean; alwaysRecreateDeps?: boolean; recreate: boolean; pull?: string; scale: string[]; removeOrphans?: boolean }

export function registerCreate(program: Command): void {
  program
    .command('create')
    .description('Creates containers for a service')
    .argument('[service...]')
    .option('--force-recreate', 'recreate containers even if their configuration hasn\'t changed')
    .option('--no-recreate', 'if containers already exist, don\'t recreate them')
    .option('--always-recreate-deps', 'recreate dependent containers (incompatible with --no-recreate)')
    .option('--pull <policy>', 'pull image before running ("always"|"missing"|"never")')
    .option('--scale <SERVICE=NUM>', 'scale SERVICE to NUM instances (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('--build', 'build images before starting containers (accepted: tscompose does not build yet)')
    .option('--no-build', 'don\'t build an image, even if it\'s policy (accepted: tscompose does not build yet)')
    .option('--quiet-pull', 'pull without printing progress information (accepted)')
    .option('-y, --yes', 'assume "yes" as answer to all prompts (accepted)')
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet')
    .option(...JSON_OPTION)
    .action(async (services: string[], flags: CreateFlags, cmd: Command) => {
      const { runUp } = await import('./up-run.js');
      process.exitCode = await runUp(cmd, services, {
        detach: true,
        start: false,
        scale: flags.scale,
        recreate: flags.recreate,
        logPrefix: true,
        color: false,
        ...(flags.forceRecreate ? { forceRecreate: true } : {}),
        ...(flags.alwaysRecreateDeps ? { alwaysRecreateDeps: true } : {}),
        ...(flags.removeOrphans ? { removeOrphans: true } : {}),
        ...(flags.pull !== undefined ? { pull: flags.pull } : {}),
      });
    });
}
