/** `top [SERVICE...]`: the processes running in each container. */
import type { Command } from 'commander';

export function registerTop(program: Command): void {
  program.command('top').description('Display the running processes').argument('[service...]')
    .action(async (services: string[], _f: unknown, cmd: Command) => {
      const [{ createEngine }, ref] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js')]);
      const p = await ref.projectRef(cmd, true);
      const out: string[] = [];
      for (const r of await createEngine().top(p.name, services)) {
        const rows = [['UID', 'PID', 'PPID', 'CMD'], ...r.processes.map((x) => [x.uid, String(x.pid), String(x.ppid), x.cmd])];
        const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
        out.push(r.container, ...rows.map((row) => row.map((c, i) => (i < 3 ? c.padEnd((w[i] ?? 0) + 3) : c)).join('')), '');
      }
      process.stdout.write(out.join('\n'));
    });
}
