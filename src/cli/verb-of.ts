/**
 * Which verb a command line names, without commander: bin/ asks before anything else loads (to start the
 * supervisor of `up` at once) and the verb registry asks to load one verb module. No imports, on purpose.
 */

/** Root options that take a value (so the word after them is not the verb). */
const VALUE_OPTIONS = new Set(['-f', '--file', '-p', '--project-name', '--project-directory', '--profile', '--env-file', '--progress']);

/** The verb the command line names, if any: the first word that is neither an option nor an option's value. */
export function verbOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-')) return a;
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return undefined;
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
