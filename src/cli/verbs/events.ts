/** `events [--json] [SERVICE...]`: container events of the project, as they happen. */
import type { Command } from 'commander';

export function registerEvents(program: Command): void {
  program.command('events').description('Receive real time events from containers').argument('[service...]')
    .option('--json', 'output events as a stream of json objects')
    .action(async (services: string[], flags: { json?: boolean }, cmd: Command) => {
      const [{ createEngine }, ref] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js')]);
      const p = await ref.projectRef(cmd, true);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await createEngine().events(p.name, (e) => {
        if (services.length && !services.includes(e.service)) return;
        if (flags.json) process.stdout.write(`${JSON.stringify(e)}\n`);
        else {
          const attrs = Object.entries(e.attributes).map(([k, v]) => `${k}=${v}`).join(', ');
          process.stdout.write(`${e.time} container ${e.action} ${e.id} (${attrs})\n`);
        }
      }, ac.signal);
    });
}
