/** `port [--protocol tcp|udp] [--index N] SERVICE PRIVATE_PORT`: the public address of a port binding (HOST:PORT). */
import type { Command } from 'commander';

export function registerPort(program: Command): void {
  program
    .command('port')
    .description('Print the public port for a port binding')
    .argument('<service>')
    .argument('<private_port>')
    .option('--protocol <protocol>', 'tcp or udp', 'tcp')
    .option('--index <index>', 'index of the container if the service has multiple replicas', '1')
    .action(async (service: string, privatePort: string, flags: { protocol: string; index: string }, cmd: Command) => {
      const [{ createEngine }, ref, port, { TscError }] = await Promise.all([
        import('../../engine/index.js'), import('../project-ref.js'), import('../../engine/port.js'), import('../../errors.js'),
      ]);
      const q = port.parsePrivatePort(privatePort, flags.protocol);
      const index = Number(flags.index);
      if (!Number.isInteger(index) || index < 0) throw new TscError('USAGE', `invalid --index "${flags.index}"`);
      const p = await ref.projectRef(cmd, true);
      const rows = await createEngine().ps(p.name, { all: false, services: [service] });
      await ref.checkServices(cmd, [service], new Set(rows.map((r) => r.Service)));
      // as Compose, --index 0 (its default) is the first replica
      process.stdout.write(`${port.publishedPort(rows, { service, index: index === 0 ? 1 : index, ...q })}\n`);
    });
}
