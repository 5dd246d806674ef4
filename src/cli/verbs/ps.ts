/**
 * `ps [-a] [--format table|json|TEMPLATE] [-q] [--services] [--status S] [--filter status=S] [--no-trunc] [--orphans=false] [SERVICE...]`:
 * the project's containers, one-off `run` containers included, as `docker compose ps` lists them (json = one object per line).
 */
import type { Command } from 'commander';
import { renderRows } from '../go-template.js';
import type { ContainerDetails } from '../ps-details.js';
import { JSON_OPTION } from '../run.js';

interface PsFlags { all?: boolean; format: string; quiet?: boolean; services?: boolean; status: string[]; filter: string[]; trunc: boolean; orphans: string | boolean }

const repeat = (v: string, p: string[]): string[] => [...p, v];

/**
 * Cobra's bool flag: `--orphans`, `--orphans=false`, `--orphans=0`... A bool flag never takes the next
 * word, so commander's optional value, when not a bool, was a SERVICE: it goes back to the services.
 */
function flagBool(v: string | boolean, services: string[]): boolean {
  if (typeof v === 'boolean') return v;
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  services.unshift(v);
  return true;
}

/** Networks and mounts of the listed containers (ps-details.ts), from this state root's records. */
async function details(project: string, rows: readonly { ID: string }[]): Promise<Map<string, ContainerDetails>> {
  const [{ containerDetails }, { defaultPaths }] = await Promise.all([import('../ps-details.js'), import('../../state/paths.js')]);
  return containerDetails(defaultPaths().root, project, rows);
}

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('List containers')
    .argument('[service...]')
    .option('-a, --all', 'show all stopped containers (including those created by the run command)')
    .option('--format <format>', 'table, json (one JSON object per line), or a Go template such as {{.Name}} {{.Health}}', 'table')
    .option(...JSON_OPTION)
    .option('-q, --quiet', 'only display IDs')
    .option('--services', 'display services')
    .option('--status <status>', 'filter by status (repeatable): paused, restarting, removing, running, dead, created, exited', repeat, [])
    .option('--filter <filter>', 'filter by a property (supported: status=STATE)', repeat, [])
    .option('--no-trunc', 'don\'t truncate output')
    .option('--orphans [bool]', 'include orphaned services, not declared by the project (default true; --orphans=false leaves them out)', true)
    .action(async (services: string[], flags: PsFlags, cmd: Command) => {
      const [{ createEngine }, ref, fmt] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js'), import('../ps-format.js')]);
      const statuses = fmt.statusFilter(flags.status, flags.filter);
      const orphans = flagBool(flags.orphans, services);
      // the file is read only when needed: to leave orphans out (its services), else -p is enough
      const p = await ref.projectRef(cmd, orphans);
      let rows = await createEngine().ps(p.name, { all: flags.all === true || statuses.length > 0, services, oneOffs: true });
      await ref.checkServices(cmd, services, new Set(rows.map((r) => r.Service)));
      if (statuses.length) rows = rows.filter((r) => statuses.includes(r.State));
      if (!orphans && p.project) {
        const declared = p.project;
        rows = rows.filter((r) => declared.services[r.Service] !== undefined);
      }
      const trunc = { trunc: flags.trunc };
      // as Compose: -q wins over --services, and both over --format
      if (flags.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
      else if (flags.services) process.stdout.write([...new Set(rows.map((r) => r.Service))].map((s) => `${s}\n`).join(''));
      else if (flags.format === 'json') process.stdout.write(fmt.psJsonLines(rows, trunc, await details(p.name, rows)));
      else if (flags.format !== 'table' && flags.format !== '') {
        const now = Date.now();
        // networks and mounts are read only for a template that names them
        const more = /\.(Networks|Mounts|LocalVolumes)\b/.test(flags.format) ? await details(p.name, rows) : undefined;
        process.stdout.write(renderRows(flags.format, rows.map((r) => fmt.psTemplateRow(r, trunc, now, more?.get(r.ID))), fmt.PS_HEADERS));
      } else process.stdout.write(fmt.psTable(rows, trunc));
    });
}
