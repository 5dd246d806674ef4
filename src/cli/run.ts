/**
 * The CLI proper: commander wiring only. Each verb registers itself from `verbs/<verb>.ts`; those files are
 * small and import their implementation lazily inside the action, so a cold `tscompose config -q` or
 * `ps` loads only what it needs. Errors become exit statuses and messages here and nowhere else.
 * Two entries run it: main.ts (the ESM bundle, every verb lazily) and the per-verb CommonJS bundles
 * scripts/bundle-cli.mjs makes, which pass their one verb's `register` (src/cli/boot.ts picks one).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { TscError, EXIT_STATUS, isTscError } from '../errors.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Registers the verbs a command line needs on the root program. */
export type RegisterVerbs = (program: Command, args?: readonly string[]) => Promise<void>;

export async function buildProgram(args: readonly string[] | undefined, register: RegisterVerbs): Promise<Command> {
  const program = new Command('tscompose');
  program
    .description('Declarative multi-container orchestrator with its own container runtime (Compose files)')
    // package.json is read only when the version may be asked for (a cold start saves the read)
    .version(wantsVersion(args) ? `tscompose version v${version()}` : '', '-v, --version', 'show the tscompose version')
    .option('-f, --file <file>', 'compose configuration file (repeatable)', collect, [])
    .option('-p, --project-name <name>', 'project name')
    .option('--project-directory <dir>', 'alternate working directory (default: the first file\'s directory)')
    .option('--profile <profile>', 'enable a profile (repeatable)', collect, [])
    .option('--env-file <file>', 'alternate environment file (repeatable)', collect, [])
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet', 'auto')
    .option('--ansi <when>', 'control when to print ANSI control characters: never, always, auto (or COMPOSE_ANSI)')
    .showHelpAfterError()
    // Global options go before the verb, as with `docker compose -f x up`; after the verb, a verb's own
    // flags win (`down -v` is --volumes, `volume rm -f` is --force), not the globals.
    .enablePositionalOptions()
    .exitOverride()
    // as Compose: --ansi wins over COMPOSE_ANSI; the log printer and the progress renderer read the latter
    .hook('preAction', () => {
      const ansi = program.opts<{ ansi?: string }>().ansi;
      if (ansi !== undefined) process.env.COMPOSE_ANSI = ansi;
      const mode = process.env.COMPOSE_ANSI;
      if (mode !== undefined && !['never', 'always', 'auto'].includes(mode)) throw new TscError('USAGE', `invalid --ansi value "${mode}": use never, always or auto`);
    })
    .hook('preAction', (_root, action) => jsonMeansJson(action));
  await register(program, args);
  return program;
}

/**
 * `--json`, on the verbs that have it (JSON_OPTION): machine-readable output, as `--format json` on the
 * verbs that print rows or documents and `--progress json` (one event object per line) on those that
 * change containers. It wins over a --format or --progress given with it.
 */
export const JSON_OPTION = ['--json', 'machine-readable output (as --format json or --progress json)'] as const;

function jsonMeansJson(action: Command): void {
  if (action.opts<{ json?: boolean }>().json !== true) return;
  for (const name of ['format', 'progress']) {
    if (action.options.some((o) => o.attributeName() === name)) action.setOptionValueWithSource(name, 'json', 'cli');
  }
}

/** -v/--version anywhere (a verb's own -v, as `down -v`, only makes this read package.json needlessly). */
function wantsVersion(args: readonly string[] | undefined): boolean {
  return args === undefined || args.some((a) => a === '-v' || a === '--version');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander already printed its message (help, version, or a usage error)
    return e.exitCode === 0 ? 0 : EXIT_STATUS.USAGE;
  }
  const err: TscError = isTscError(e)
    ? e
    : new TscError('INTERNAL', `internal error: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  process.stderr.write(`${err.message}\n`);
  for (const d of err.details) process.stderr.write(`${d}\n`);
  if (process.env.TSCOMPOSE_DEBUG && err.stack) {
    process.stderr.write(`${err.stack}\n`);
    if (err.cause instanceof Error && err.cause.stack) process.stderr.write(`caused by: ${err.cause.stack}\n`);
  } else if (err.code === 'INTERNAL') {
    process.stderr.write('(set TSCOMPOSE_DEBUG=1 for a stack trace)\n');
  }
  return EXIT_STATUS[err.code];
}

export async function main(argv: string[], register: RegisterVerbs): Promise<void> {
  try {
    await (await buildProgram(argv.slice(2), register)).parseAsync(argv);
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

