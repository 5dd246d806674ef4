/**
 * `exec [-i] [-t|-T] [-d] [--privileged] [--index N] [-e K=V] [-u USER] [-w DIR] SERVICE COMMAND [ARGS...]`.
 * Options end at the service name, so the command keeps its own flags (`exec web ls -la`).
 */
import type { Command } from 'commander';
import { TscError, isTscError } from '../../errors.js';

export interface ExecArgs {
  service: string; argv: string[]; index: number; env: string[]; user?: string; workdir?: string; tty: boolean; interactive: boolean; detach?: true; privileged?: true;
  /** -T given: never a TTY (without -t or -T, a TTY when our stdout is one, as Compose). */
  noTty?: true;
}

export function parseExecArgs(args: string[]): ExecArgs {
  const r: ExecArgs = { service: '', argv: [], index: 1, env: [], tty: false, interactive: false };
  let i = 0;
  const value = (flag: string): string => {
    const v = args[++i];
    if (v === undefined) throw new TscError('USAGE', `flag ${flag} needs a value`);
    return v;
  };
  for (; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('-') || a === '-') break;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = (): string => inline ?? value(flag);
    if (flag === '--index') r.index = Number(val());
    else if (flag === '-e' || flag === '--env') r.env.push(val());
    else if (flag === '-u' || flag === '--user') r.user = val();
    else if (flag === '-w' || flag === '--workdir') r.workdir = val();
    else if (flag === '-T' || flag === '--no-TTY' || flag === '--no-tty') {
      r.tty = false;
      r.noTty = true;
    }
    else if (/^-[itd]+$/.test(flag)) {
      if (flag.includes('t')) r.tty = true;
      if (flag.includes('i')) r.interactive = true;
      if (flag.includes('d')) r.detach = true;
    } else if (flag === '--interactive') r.interactive = true;
    else if (flag === '--tty') r.tty = true;
    else if (flag === '--detach') r.detach = true;
    else if (flag === '--privileged') r.privileged = true;
    else throw new TscError('USAGE', `unknown flag: ${flag}`);
  }
  r.service = args[i] ?? '';
  r.argv = args.slice(i + 1);
  if (!r.service || r.argv.length === 0) throw new TscError('USAGE', 'usage: tscompose exec [options] SERVICE COMMAND [ARGS...]');
  if (!Number.isInteger(r.index) || r.index < 1) throw new TscError('USAGE', 'invalid --index');
  return r;
}

const EXEC_OPTIONS = `
Options (before SERVICE; everything after it is the command's):
  -d, --detach            run the command in the background
  -e, --env KEY[=VAL]     set an environment variable (repeatable)
  --index N               which replica of the service (default 1)
  -i, --interactive       keep stdin open
  -t, --tty               allocate a pseudo-TTY (the default when stdin and stdout are terminals)
  -T, --no-TTY            never allocate a pseudo-TTY
  --privileged            all capabilities for the command
  -u, --user USER[:GROUP] run as this user
  -w, --workdir DIR       working directory of the command
  -h, --help              display help for command`;

export function registerExec(program: Command): void {
  program.command('exec').description('Execute a command in a running container')
    .usage('[options] SERVICE COMMAND [ARGS...]')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .addHelpText('after', EXEC_OPTIONS)
    .action(async (args: string[], _f: unknown, cmd: Command) => {
      // options end at the service name: `exec web ls --help` is the command's own --help
      const service = args.findIndex((x) => !x.startsWith('-') || x === '-');
      if (args.slice(0, service < 0 ? args.length : service).some((x) => x === '-h' || x === '--help')) cmd.help();
      const a = parseExecArgs(args);
      const [{ createEngine }, ref] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js')]);
      const p = await ref.projectRef(cmd, true);
      const env: Record<string, string> = {};
      for (const e of a.env) {
        const k = e.split('=')[0] ?? '';
        const v = e.includes('=') ? e.slice(k.length + 1) : process.env[k];
        if (v !== undefined) env[k] = v;
      }
      const indexGiven = args.some((x) => x === '--index' || x.startsWith('--index='));
      process.exitCode = await createEngine().exec(p.name, {
        service: a.service, index: a.index, argv: a.argv, env, interactive: a.interactive,
        // Compose allocates a TTY by default when its output is a terminal; -T turns that off
        // a detached command has no terminal to talk to (as Compose: -d and -t do not mix)
        tty: a.detach !== true && (a.tty || (a.noTty !== true && process.stdout.isTTY === true && process.stdin.isTTY === true)),
        ...(a.detach ? { detach: true } : {}),
        ...(a.privileged ? { privileged: true } : {}),
        ...(a.user ? { user: a.user } : {}), ...(a.workdir ? { workdir: a.workdir } : {}),
      }).catch(async (e: unknown) => {
        // the process could not be set up (no such user): 126 with the message, as docker exec
        if (isTscError(e) && (e as { exitStatus?: unknown }).exitStatus === 126) {
          process.stderr.write(`${e.message}\n`);
          return 126;
        }
        if (isTscError(e) && e.code === 'NOT_FOUND') await ref.checkServices(cmd, [a.service]); // "no such service" first
        // Compose names the replica only when --index was given: `service "web" is not running`
        if (!indexGiven && isTscError(e) && e.code === 'NOT_FOUND' && / container #1$/.test(e.message)) {
          throw new TscError('NOT_FOUND', e.message.replace(/ container #1$/, ''));
        }
        throw e;
      });
    });
}
