/** `logs [-f] [--tail N] [--since T] [-t] [--no-log-prefix] [SERVICE...]`. */
import type { Command } from 'commander';
import { TscError } from '../../errors.js';

interface LogsFlags { follow?: boolean; tail: string; since?: string; timestamps?: boolean; logPrefix: boolean; color: boolean }

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description('View output from containers')
    .argument('[service...]')
    .option('-f, --follow', 'follow log output')
    .option('-n, --tail <lines>', 'number of lines to show from the end of the logs for each container', 'all')
    .option('--since <time>', 'show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)')
    .option('-t, --timestamps', 'show timestamps')
    .option('--no-log-prefix', 'don\'t print prefix in logs')
    .option('--no-color', 'produce monochrome output')
    .action(async (services: string[], flags: LogsFlags, cmd: Command) => {
      const [{ createEngine }, ref, lp] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js'), import('../log-printer.js')]);
      const tail = flags.tail === 'all' ? undefined : Number(flags.tail);
      if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new TscError('USAGE', `invalid --tail "${flags.tail}"`);
      const since = flags.since === undefined ? undefined : lp.parseSince(flags.since);
      if (flags.since !== undefined && since === undefined) throw new TscError('USAGE', `invalid --since "${flags.since}"`);
      const p = await ref.projectRef(cmd, true);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const print = lp.makePrinter({ prefix: flags.logPrefix, timestamps: flags.timestamps === true, color: flags.color && process.stdout.isTTY === true });
      await createEngine().logs(p.name, {
        services, follow: flags.follow === true, timestamps: flags.timestamps === true,
        ...(tail !== undefined ? { tail } : {}), ...(since !== undefined ? { sinceMs: since } : {}),
      }, print, ac.signal);
    });
}
