/**
 * `cp [-a] [-L] [--index N] [--all] SERVICE:SRC_PATH DEST_PATH` / `cp SRC_PATH SERVICE:DEST_PATH`, as
 * `docker compose cp`: into a service, every running replica gets the copy (or only --index N); out of a
 * service, the first replica (or --index N) is read. The copy itself is src/engine/copy.ts.
 */
import type { Command } from 'commander';

interface CpFlags { archive?: boolean; followLink?: boolean; index?: string; all?: boolean }

/** Write to stdout, waiting for it to drain (a tar of a large tree must not pile up in memory). */
async function writeOut(b: Buffer): Promise<void> {
  if (!process.stdout.write(b)) await new Promise((r) => process.stdout.once('drain', r));
}

export function registerCp(program: Command): void {
  program
    .command('cp')
    .description('Copy files/folders between a service container and the local filesystem')
    .usage('[options] SERVICE:SRC_PATH DEST_PATH|-\n       tscompose cp [options] SRC_PATH|- SERVICE:DEST_PATH')
    .argument('<source>')
    .argument('<dest>')
    .option('-a, --archive', 'archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'always follow symbol link in SRC_PATH')
    .option('--index <index>', 'index of the container if service has multiple replicas')
    .option('--all', 'include containers created by the run command (accepted; one-off containers are not copied to)')
    .action(async (source: string, dest: string, flags: CpFlags, cmd: Command) => {
      const [{ createEngine }, ref, args, copy, { TscError }] = await Promise.all([
        import('../../engine/index.js'), import('../project-ref.js'), import('../../engine/copy-args.js'),
        import('../../engine/copy.js'), import('../../errors.js'),
      ]);
      const req = args.parseCopyArgs(source, dest);
      const index = flags.index === undefined ? 0 : Number(flags.index);
      if (!Number.isInteger(index) || index < 0) throw new TscError('USAGE', `invalid --index "${flags.index}"`);
      const service = (req.src.service ?? req.dst.service) as string;
      const p = await ref.projectRef(cmd, true);
      const rows = await createEngine().ps(p.name, { all: true, services: [service] });
      await ref.checkServices(cmd, [service], new Set(rows.map((r) => r.Service)));
      const running = rows.filter((r) => r.Pid !== undefined && (r.State === 'running' || r.State === 'paused'))
        .sort((a, b) => a.Number - b.Number);
      let targets = index > 0 ? running.filter((r) => r.Number === index) : running;
      if (req.direction === 'from-container') targets = targets.slice(0, 1);
      if (targets.length === 0) {
        throw new TscError('NOT_FOUND', index > 0 ? `service "${service}" has no running container #${index}` : `no running container found for service "${service}"`);
      }
      const opts = { archive: flags.archive === true, followLink: flags.followLink === true };
      // "-": a tar stream on stdout / stdin; stdin can be read once, so it goes to one container
      if (req.src.path === '-' && targets.length > 1) targets = targets.slice(0, 1);
      for (const c of targets) {
        const pid = c.Pid as number;
        if (req.dst.path === '-') await copy.tarFrom(copy.containerEndpoint(pid, c.Name, req.src.path), opts, writeOut);
        else if (req.src.path === '-') {
          for (const w of await copy.untarInto(copy.containerEndpoint(pid, c.Name, req.dst.path), opts, process.stdin)) process.stderr.write(`warning: ${w}\n`);
        } else if (req.direction === 'from-container') await copy.copyBetween(copy.containerEndpoint(pid, c.Name, req.src.path), copy.hostEndpoint(req.dst.path), opts);
        else await copy.copyBetween(copy.hostEndpoint(req.src.path), copy.containerEndpoint(pid, c.Name, req.dst.path), opts);
      }
    });
}
