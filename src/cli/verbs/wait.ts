/**
 * `wait SERVICE... [--down-project]`: block until the services' running containers stop, printing each
 * exit as Compose does; the exit status is the last container's. --down-project takes the project down
 * when the first one stops.
 */
import type { Command } from 'commander';

export function registerWait(program: Command): void {
  program
    .command('wait')
    .description('Block until containers of all (or specified) services stop.')
    .argument('<service...>')
    .option('--down-project', 'drops project when the first container stops')
    .action(async (services: string[], flags: { downProject?: boolean }, cmd: Command) => {
      const [{ createEngine }, ref, { waitExit }, { TscError }] = await Promise.all([
        import('../../engine/index.js'), import('../project-ref.js'), import('../../engine/more-verbs.js'), import('../../errors.js'),
      ]);
      await ref.checkServices(cmd, services);
      const p = await ref.projectRef(cmd, true);
      const engine = createEngine();
      const rows = (await engine.ps(p.name, { all: false, services })).filter((r) => r.State === 'running' || r.State === 'paused');
      if (rows.length === 0) throw new TscError('NOT_FOUND', `no containers for project "${p.name}"`);
      let status = 0;
      const exits = rows.map(async (r) => {
        const exit = await waitExit(r.ID);
        process.stdout.write(`container "${r.ID}" exited with status code ${exit.exitCode}\n`);
        status = exit.exitCode;
      });
      if (flags.downProject) {
        await Promise.race(exits);
        await engine.down(p.name, { volumes: false, removeOrphans: true }, () => undefined);
      } else {
        await Promise.all(exits);
      }
      process.exitCode = status;
    });
}
