/**
 * `cp [-a] [-L] [--index N] [--all] SERVICE:SRC_PATH DEST_PATH` / `cp SRC_PATH SERVICE:DEST_PATH`, as
 * `docker compose cp`: into a service, every running replica gets the copy (or only --index N; --all: its
 * one-off `run` containers too); out of a service, the first replica (or --index N) is read: through
 * /proc/PID/root while it runs, from its layers on disk once stopped. Copying into a container needs it
 * running. The copy itself is src/engine/copy.ts.
 */
import type { Command } from 'commander';

interface CpFlags { archive?: boolean; followLink?: boolean; index?: string; all?: boolean }

async function copyFromStopped(id: string, name: string, srcPath: string, dstPath: string, flags: { archive: boolean; followLink: boolean }): Promise<void> {
  const [{ readRecord, containerPaths }, { defaultPaths }, copy, { TscError }] = await Promise.all([
    import('../../runtime/container-store.js'), import('../../state/paths.js'), import('../../engine/copy.js'), import('../../errors.js'),
  ]);
  const root = defaultPaths().root;
  const rec = await readRecord(root, id);
  if (!rec) throw new TscError('NOT_FOUND', `container ${name} has no filesystem on disk to copy from`);
  const layers = [...rec.layerDirs, containerPaths(root, id).upper];
  await copy.copyFromLayers(layers, { root: '/', path: srcPath, container: name }, copy.hostEndpoint(dstPath), flags);
}

/** The service's running one-off (`run`) containers. */
async function oneOffs(project: string, service: string): Promise<{ name: string; pid: number }[]> {
  const [{ createRuntime }, { defaultPaths }, { L_ONEOFF }] = await Promise.all([
    import('../../supervisor/deps.js'), import('../../state/paths.js'), import('../../supervisor/labels.js'),
  ]);
  const all = await (await createRuntime(defaultPaths())).list({ project });
  return all.filter((c) => c.project === project && c.service === service && c.labels[L_ONEOFF] === 'True' && c.status === 'running' && c.pid !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name)).map((c) => ({ name: c.name, pid: c.pid as number }));
}

async function readAll(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of s) parts.push(b);
  return Buffer.concat(parts);
}

async function* toAsync(s: AsyncIterable<Buffer> | Buffer[]): AsyncGenerator<Buffer> {
  for await (const b of s) yield b;
}

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
    .option('--all', 'include containers created by the run command')
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
      const live = (st: string, pid: number | undefined): boolean => pid !== undefined && (st === 'running' || st === 'paused');
      let targets = rows.filter((r) => live(r.State, r.Pid) && (index === 0 || r.Number === index))
        .sort((a, b) => a.Number - b.Number).map((r) => ({ name: r.Name, pid: r.Pid as number }));
      // --all: the service's one-off `run` containers too (as Compose)
      if (flags.all && index === 0) targets.push(...await oneOffs(p.name, service));
      if (req.direction === 'from-container') targets = targets.slice(0, 1);
      // out of a stopped container: its layers on disk (as docker cp, which works on stopped containers)
      const stopped = rows.filter((r) => !live(r.State, r.Pid) && (index === 0 || r.Number === index)).sort((a, b) => a.Number - b.Number)[0];
      if (targets.length === 0 && stopped && req.direction === 'from-container' && req.dst.path !== '-') {
        await copyFromStopped(stopped.ID, stopped.Name, req.src.path, req.dst.path, { archive: flags.archive === true, followLink: flags.followLink === true });
        return;
      }
      if (targets.length === 0) {
        if (rows.length === 0) throw new TscError('NOT_FOUND', `no container found for service "${service}"`);
        throw new TscError('NOT_FOUND', index > 0 && !rows.some((r) => r.Number === index)
          ? `service "${service}" has no container #${index}`
          : `service "${service}" is not running: tscompose cp works on running (or paused) containers`);
      }
      const opts = { archive: flags.archive === true, followLink: flags.followLink === true };
      // "-": a tar stream on stdout / stdin; stdin can be read once: with several containers it is kept whole
      const input = req.src.path === '-' && targets.length > 1 ? [await readAll(process.stdin)] : process.stdin;
      for (const c of targets) {
        if (req.dst.path === '-') await copy.tarFrom(copy.containerEndpoint(c.pid, c.name, req.src.path), opts, writeOut);
        else if (req.src.path === '-') {
          for (const w of await copy.untarInto(copy.containerEndpoint(c.pid, c.name, req.dst.path), opts, toAsync(input))) process.stderr.write(`warning: ${w}\n`);
        } else if (req.direction === 'from-container') await copy.copyBetween(copy.containerEndpoint(c.pid, c.name, req.src.path), copy.hostEndpoint(req.dst.path), opts);
        else await copy.copyBetween(copy.hostEndpoint(req.src.path), copy.containerEndpoint(c.pid, c.name, req.dst.path), opts);
      }
    });
}
