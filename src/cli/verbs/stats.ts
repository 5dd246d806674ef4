/** `stats [-a] [--no-stream] [--format table|json|TEMPLATE] [--no-trunc] [SERVICE...]`: live resource usage, as `docker compose stats`. */
import type { Command } from 'commander';
import type { StatsRow } from '../../engine/stats.js';
import { JSON_OPTION } from '../run.js';

interface StatsFlags { all?: boolean; stream: boolean; format: string }

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('Display a live stream of container(s) resource usage statistics')
    .argument('[service...]')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('--no-stream', 'disable streaming stats and only pull the first result')
    .option('--format <format>', 'table, json (one object per line), or a Go template such as "table {{.Name}}\\t{{.CPUPerc}}"', 'table')
    .option(...JSON_OPTION)
    .option('--no-trunc', 'do not truncate output (accepted)')
    .action(async (services: string[], flags: StatsFlags, cmd: Command) => {
      const [{ createEngine }, ref, st, { createRuntime }, { defaultPaths }, { renderRows }] = await Promise.all([
        import('../../engine/index.js'), import('../project-ref.js'), import('../../engine/stats.js'), import('../../supervisor/deps.js'), import('../../state/paths.js'), import('../go-template.js'),
      ]);
      const format = (rows: StatsRow[]): string => {
        if (flags.format === 'json') return rows.map((o) => `${JSON.stringify(o)}\n`).join('');
        if (flags.format === 'table' || flags.format === '') return st.statsTable(rows);
        return renderRows(flags.format, rows as unknown as Record<string, unknown>[], st.STATS_HEADERS);
      };
      const p = await ref.projectRef(cmd, true);
      const engine = createEngine();
      const rt = await createRuntime(defaultPaths());
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      process.stdout.on('error', () => (stop = true)); // the reader went away (`stats | head`)
      let prev = new Map<string, Awaited<ReturnType<typeof st.sample>>>();
      for (let first = true; ; first = false) {
        const rows = await engine.ps(p.name, { all: flags.all === true, services });
        if (first) await ref.checkServices(cmd, services, new Set(rows.map((r) => r.Service)));
        const before = first ? new Map(await Promise.all(rows.map(async (r) => [r.ID, await st.sample((id) => rt.stats(id), r)] as const))) : prev;
        // the first reading needs a second one to measure CPU over
        if (first) await new Promise((r) => setTimeout(r, 500));
        const now = new Map(await Promise.all(rows.map(async (r) => [r.ID, await st.sample((id) => rt.stats(id), r)] as const)));
        // our ids are names with a suffix, short already: --no-trunc changes nothing
        const out = rows.map((r) => st.statsRow(r, before.get(r.ID) ?? (now.get(r.ID) as never), now.get(r.ID) as never));
        const text = format(out);
        // streaming to a terminal redraws in place, as docker stats
        process.stdout.write(flags.stream && process.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
        if (!flags.stream || stop) return;
        prev = now;
        await new Promise((r) => setTimeout(r, 1000));
        if (stop) return;
      }
    });
}
