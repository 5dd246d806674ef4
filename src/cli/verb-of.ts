/**
 * Which verb a command line names, without commander: bin/ asks before anything else loads (to start the
 * supervisor of `up` at once) and the verb registry asks to load one verb module. No imports, on purpose.
 */

/** Root options that take a value (so the word after them is not the verb). */
const VALUE_OPTIONS = new Set(['-f', '--file', '-p', '--project-name', '--project-directory', '--profile', '--env-file', '--progress']);

/** The verb the command line names, if any: the first word that is neither an option nor an option's value. */
export function verbOf(args: readonly string[]): string | undefined {
  const i = verbIndex(args);
  return i < 0 ? undefined : args[i];
}

/** Where the verb is in the command line (-1: none); the arguments before it are the global options. */
export function verbIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!a.startsWith('-')) return i;
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return -1;
}

/** Whether the command line only asks for the version: `-v`/`--version` among global options, no verb. */
export function asksVersionOnly(args: readonly string[]): boolean {
  let asked = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-h' || a === '--help') return false;
    if (a === '-v' || a === '--version') asked = true;
    else if (VALUE_OPTIONS.has(a)) i++;
  }
  return asked;
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The project name when the command line or environment states it outright, as the CLI will compute it
 * (Compose: -p > COMPOSE_PROJECT_NAME > .env > `name:` > directory): the last -p/--project-name among the
 * global options (commander's positional options: nothing after the verb is global), else a non-empty
 * COMPOSE_PROJECT_NAME of the environment (it wins over .env). Undefined when not stated or not a valid
 * name (the CLI reports that). Only a hint: the CLI still sends the name it computed.
 */
export function statedProjectName(args: readonly string[], env: Record<string, string | undefined>): string | undefined {
  let given: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-')) break;
    if (a === '-p' || a === '--project-name') given = args[++i];
    else if (a.startsWith('--project-name=')) given = a.slice('--project-name='.length);
    else if (a.startsWith('-p') && !a.startsWith('--')) given = a.slice(2);
    else if (VALUE_OPTIONS.has(a)) i++;
  }
  const name = given ?? (env.COMPOSE_PROJECT_NAME || undefined);
  return name !== undefined && PROJECT_NAME.test(name) ? name : undefined;
}
