/** `stop [-t N]`, `start`, `restart [-t N]`, `kill [-s SIG]` on SERVICE... (all services when none given). */
import type { Command } from 'commander';
import { TscError, isTscError } from '../../errors.js';
import { JSON_OPTION } from '../run.js';

type Verb = 'stop' | 'start' | 'restart' | 'kill';

async function run(verb: Verb, services: string[], flags: { timeout?: string; signal?: string; deps?: boolean }, cmd: Command): Promise<void> {
  const [{ createEngine }, ref, { withProgress }, { composeWords }] = await Promise.all([
    import('../../engine/index.js'), import('../project-ref.js'), import('../progress.js'), import('../progress-names.js'),
  ]);
  // a bad signal is told before any container is touched (the supervisor would say so after "Killing")
  if (verb === 'kill') (await import('../../runtime/signals.js')).signalNumber(flags.signal ?? 'SIGKILL');
  await ref.checkServices(cmd, services);
  const p = await ref.projectRef(cmd, true);
  const engine = createEngine();
  const t = ref.timeoutMs(flags.timeout);
  const opts = t !== undefined ? { timeoutMs: t } : {};
  await withProgress(ref.progressMode(cmd), `${verb} ${p.name}`, async (on) => {
    try {
      if (verb === 'stop') return await engine.stop(p.name, services, opts, on);
      if (verb === 'start') return await engine.start(p.name, services, composeWords('start', on));
      if (verb === 'restart') return await engine.restart(p.name, services, { ...opts, ...(flags.deps === false ? { noDeps: true } : {}) }, composeWords('restart', on));
      const sig = (flags.signal ?? 'SIGKILL').toUpperCase();
      return await engine.kill(p.name, services, /^\d+$/.test(sig) || sig.startsWith('SIG') ? sig : `SIG${sig}`, on);
    } catch (e) {
      const none = isTscError(e) && e.code === 'NOT_FOUND' && /has no containers|no container to start/.test(e.message);
      // as Compose's startService: `service "web" has no container to start`
      if (verb === 'start' && none) {
        const first = services[0] ?? Object.keys(p.project?.services ?? {})[0];
        throw new TscError('NOT_FOUND', first === undefined ? 'no container to start' : `service "${first}" has no container to start`);
      }
      // as Compose: stop, restart and kill of a project without containers do nothing and succeed
      if (verb === 'start' || !none) throw e;
      if (verb === 'kill') process.stderr.write('no container to kill\n');
    }
  });
}

const PROGRESS = ['--progress <mode>', 'progress output: auto, tty, plain, json, quiet'] as const;

export function registerLifecycle(program: Command): void {
  program.command('stop').option(...PROGRESS).option(...JSON_OPTION).description('Stop services').argument('[service...]')
    .option('-t, --timeout <seconds>', 'specify a shutdown timeout in seconds')
    .action((s: string[], f: { timeout?: string }, cmd: Command) => run('stop', s, f, cmd));
  program.command('start').option(...PROGRESS).option(...JSON_OPTION).description('Start services').argument('[service...]')
    .action((s: string[], f: object, cmd: Command) => run('start', s, f, cmd));
  program.command('restart').option(...PROGRESS).option(...JSON_OPTION).description('Restart service containers (each gets a fresh container from its image)').argument('[service...]')
    .option('-t, --timeout <seconds>', 'specify a shutdown timeout in seconds')
    .option('--no-deps', 'don\'t restart dependent services')
    .action((s: string[], f: { timeout?: string; deps?: boolean }, cmd: Command) => run('restart', s, f, cmd));
  program.command('kill').option(...PROGRESS).option(...JSON_OPTION).description('Force stop service containers').argument('[service...]')
    .option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL')
    .option('--remove-orphans', 'accepted for compatibility')
    .action((s: string[], f: { signal?: string }, cmd: Command) => run('kill', s, f, cmd));
}
