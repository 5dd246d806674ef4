/** `top [SERVICE...]`: the processes running in each container, in `docker compose top`'s layout. */
import type { Command } from 'commander';
import type { TopResult } from '../../api.js';

/** One block per container: its name, then a `ps -ef` table (UID PID PPID C STIME TTY TIME CMD), then a blank line. */
export function topText(results: readonly TopResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const rows = [
      ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      ...r.processes.map((x) => [x.user ?? x.uid, String(x.pid), String(x.ppid), String(x.c ?? 0), x.stime ?? '-', x.tty ?? '?', x.time ?? '00:00:00', x.cmd]),
    ];
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
    out.push(r.container, ...rows.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd((w[i] ?? 0) + 3) : c)).join('')), '');
  }
  return out.map((l) => `${l}\n`).join('');
}

export function registerTop(program: Command): void {
  program.command('top').description('Display the running processes').argument('[service...]')
    .action(async (services: string[], _f: unknown, cmd: Command) => {
      const [{ createEngine }, ref] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js')]);
      await ref.checkServices(cmd, services);
      const p = await ref.projectRef(cmd, true);
      process.stdout.write(topText(await createEngine().top(p.name, services)));
    });
}
