/**
 * `tscompose run [OPTIONS] SERVICE [COMMAND...]`: a one-off container of a service. Options are parsed
 * by run-args.ts (they end at the service name, so the command keeps its own flags); the work is in
 * run-exec.ts, imported only when the verb runs.
 */
import type { Command } from 'commander';
import { loadOptionsFrom, printWarnings } from '../global-options.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run a one-off command on a service')
    .usage('[options] SERVICE [COMMAND] [ARGS...]')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async (args: string[], _flags: unknown, cmd: Command) => {
      const { parseRunArgs, RUN_USAGE } = await import('./run-args.js');
      if (args[0] === '--help' || args[0] === '-h') {
        process.stdout.write(`Usage: tscompose run [options] SERVICE [COMMAND] [ARGS...]\n\nRun a one-off command on a service\n\n${RUN_USAGE}\n`);
        return;
      }
      const parsed = parseRunArgs(args);
      const { runOneOff } = await import('./run-exec.js');
      process.exitCode = await runOneOff(loadOptionsFrom(cmd, { services: [parsed.service] }), parsed, printWarnings);
    });
}
