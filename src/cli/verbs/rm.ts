/**
 * `rm [-f] [-s] [-v] [SERVICE...]`: remove stopped service containers, as `docker compose rm`: -s stops
 * them first; the list is confirmed at a prompt unless -f (or stdin is not a terminal: nobody to ask).
 */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

interface RmFlags { force?: boolean; stop?: boolean; volumes?: boolean }

export function registerRm(program: Command): void {
  program
    .command('rm')
    .description('Removes stopped service containers')
    .argument('[service...]')
    .option('-f, --force', 'don\'t ask to confirm removal')
    .option('-s, --stop', 'stop the containers, if required, before removing')
    .option('-v, --volumes', 'remove any anonymous volumes attached to containers')
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet')
    .option(...JSON_OPTION)
    .action(async (services: string[], flags: RmFlags, cmd: Command) => {
      const { runRm } = await import('./rm-run.js');
      await runRm(cmd, services, flags);
    });
}

export type { RmFlags };
