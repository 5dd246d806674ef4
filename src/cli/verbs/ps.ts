/**
 * `ps [-a] [--format table|json] [-q] [--services] [--status S] [--filter status=S] [--no-trunc] [SERVICE...]`:
 * the project's containers, as `docker compose ps` lists them (json = one object per line).
 */
import type { Command } from 'commander';
import { renderRows } from '../go-template.js';

interface PsFlags { all?: boolean; format: string; quiet?: boolean; services?: boolean; status: string[]; filter: string[]; trunc: boolean }

const repeat = (v: string, p: string[]): string[] => [...p, v];

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('List containers')
    .argument('[service...]')
    .option('-a, --all', 'show all stopped containers too')
    .option('--format <format>', 'table, json (one JSON object per line), or a Go template such as {{.Name}} {{.Health}}', 'table')
    .option('-q, --quiet', 'only display IDs')
    .option('--services', 'display services')
    .option('--status <status>', 'filter by status (repeatable): paused, restarting, removing, running, dead, created, exited', repeat, [])
    .option('--filter <filter>', 'filter by a property (supported: status=STATE)', repeat, [])
    .option('--no-trunc', 'don\'t truncate output')
    .option('--orphans', 'include orphaned services (accepted; always included)')
    .action(async (services: string[], flags: PsFlags, cmd: Command) => {
      const [{ createEngine }, ref, fmt] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js'), import('../ps-format.js')]);
      const statuses = fmt.statusFilter(flags.status, flags.filter);
      const p = await ref.projectRef(cmd, true);
      let rows = await createEngine().ps(p.name, { all: flags.all === true || statuses.length > 0, services });
      await ref.checkServices(cmd, services, new Set(rows.map((r) => r.Service)));
      if (statuses.length) rows = rows.filter((r) => statuses.includes(r.State));
      const trunc = { trunc: flags.trunc };
      if (flags.services) process.stdout.write([...new Set(rows.map((r) => r.Service))].map((s) => `${s}\n`).join(''));
      else if (flags.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
      else if (flags.format === 'json') process.stdout.write(fmt.psJsonLines(rows, trunc));
      else if (flags.format !== 'table') process.stdout.write(renderRows(flags.format, rows.map((r) => Object.fromEntries(Object.entries(fmt.psJsonRow(r, trunc))))));
      else process.stdout.write(fmt.psTable(rows, trunc));
    });
}
