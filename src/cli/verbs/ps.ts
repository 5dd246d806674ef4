/** `ps [-a] [--format json|table] [-q] [--services] [SERVICE...]`: the project's containers. */
import type { Command } from 'commander';
import { TscError } from '../../errors.js';

interface PsFlags { all?: boolean; format: string; quiet?: boolean; services?: boolean; status?: string[] }

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('List containers')
    .argument('[service...]')
    .option('-a, --all', 'show all stopped containers too')
    .option('--format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'only display IDs')
    .option('--services', 'display services')
    .option('--status <status>', 'filter by status (repeatable): running, exited, created', (v: string, p: string[]) => [...p, v], [])
    .action(async (services: string[], flags: PsFlags, cmd: Command) => {
      if (flags.format !== 'table' && flags.format !== 'json') throw new TscError('USAGE', `unsupported format ${JSON.stringify(flags.format)}: use table or json`);
      const [{ createEngine }, ref, { psTable }] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js'), import('../../engine/format.js')]);
      const p = await ref.projectRef(cmd, true);
      const statuses = flags.status ?? [];
      let rows = await createEngine().ps(p.name, { all: flags.all === true || statuses.length > 0, services });
      if (statuses.length) rows = rows.filter((r) => statuses.includes(r.State));
      if (flags.services) process.stdout.write([...new Set(rows.map((r) => r.Service))].map((s) => `${s}\n`).join(''));
      else if (flags.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
      else if (flags.format === 'json') process.stdout.write(`${JSON.stringify(rows)}\n`);
      else process.stdout.write(psTable(rows));
    });
}
