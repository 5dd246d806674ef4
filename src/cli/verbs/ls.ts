/** `ls [-a] [--format table|json] [-q] [--filter name=X]`: the Compose projects on this host, as `docker compose ls`. */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

interface LsFlags { all?: boolean; format: string; quiet?: boolean; filter: string[] }

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('List running compose projects')
    .option('-a, --all', 'show all stopped Compose projects')
    .option('--filter <filter>', 'filter output based on conditions provided (name=NAME)', (v: string, p: string[]) => [...p, v], [])
    .option('--format <format>', 'format the output: table or json', 'table')
    .option(...JSON_OPTION)
    .option('-q, --quiet', 'only display project names')
    .action(async (flags: LsFlags) => {
      const [projects, { projectContainers }, { TscError }] = await Promise.all([
        import('../../engine/projects.js'), import('../../engine/more-verbs.js'), import('../../errors.js'),
      ]);
      if (flags.format !== 'table' && flags.format !== 'json' && flags.format !== 'pretty') throw new TscError('USAGE', `invalid format "${flags.format}": use table or json`);
      const names = projects.parseLsFilters(flags.filter);
      const rows = projects.projectRows(await projectContainers(), { all: flags.all === true, names });
      if (flags.quiet) process.stdout.write(rows.map((r) => `${r.Name}\n`).join(''));
      else if (flags.format === 'json') process.stdout.write(`${JSON.stringify(rows)}\n`);
      else process.stdout.write(projects.lsTable(rows));
    });
}
