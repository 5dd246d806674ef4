/** `logs [-f] [--tail N] [--since T] [--until T] [-t] [--index N] [--no-log-prefix] [--no-color] [SERVICE...]`. */
import type { Command } from 'commander';
import { TscError } from '../../errors.js';

interface LogsFlags { follow?: boolean; tail: string; since?: string; until?: string; timestamps?: boolean; logPrefix: boolean; color: boolean; index?: string }

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description('View output from containers')
    .argument('[service...]')
    .option('-f, --follow', 'follow log output')
    .option('-n, --tail <lines>', 'number of lines to show from the end of the logs for each container', 'all')
    .option('--since <time>', 'show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)')
    .option('--until <time>', 'show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)')
    .option('-t, --timestamps', 'show timestamps')
    .option('--index <number>', 'index of the container if the service has multiple replicas')
    .option('--no-log-prefix', 'don\'t print prefix in logs')
    .option('--no-color', 'produce monochrome output')
    .action(async (services: string[], flags: LogsFlags, cmd: Command) => {
      const [{ createEngine }, ref, lp] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js'), import('../log-printer.js')]);
      const tail = flags.tail === 'all' || flags.tail === '-1' ? undefined : Number(flags.tail);
      if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new TscError('USAGE', `invalid --tail "${flags.tail}"`);
      const time = (name: string, v: string | undefined): number | undefined => {
        if (v === undefined) return undefined;
        const t = lp.parseSince(v);
        if (t === undefined) throw new TscError('USAGE', `invalid --${name} "${v}"`);
        return t;
      };
      const since = time('since', flags.since);
      const until = time('until', flags.until);
      const index = flags.index === undefined ? undefined : Number(flags.index);
      if (index !== undefined && (!Number.isInteger(index) || index < 1)) throw new TscError('USAGE', `invalid --index "${flags.index}"`);
      const p = await ref.projectRef(cmd, true);
      const engine = createEngine();
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      // Compose lines every prefix up from the start: the width of the longest `service-N` shown
      const shown = await engine.ps(p.name, { all: true, services });
      await ref.checkServices(cmd, services, new Set(shown.map((r) => r.Service)));
      // as Compose's getSpecifiedContainer: --index names one replica, which must exist
      if (index !== undefined && !shown.some((r) => r.Number === index && (services.length === 0 || r.Service === services[0]))) {
        throw new TscError('NOT_FOUND', `service "${services[0] ?? ''}" is not running container #${index}`);
      }
      const width = Math.max(0, ...shown.map((r) => `${r.Service}-${r.Number}`.length));
      const print = lp.makePrinter({ prefix: flags.logPrefix, timestamps: flags.timestamps === true, color: lp.wantColor(!flags.color, process.stdout.isTTY === true), width });
      await engine.logs(p.name, {
        services, follow: flags.follow === true, timestamps: flags.timestamps === true, endWhenStopped: true,
        ...(tail !== undefined ? { tail } : {}), ...(since !== undefined ? { sinceMs: since } : {}),
        ...(until !== undefined ? { untilMs: until } : {}), ...(index !== undefined ? { index } : {}),
      }, print, ac.signal);
    });
}
