import type { Command } from 'commander';
import { TscError } from '../../errors.js';

/**
 * Verbs that exist by name but are not built yet. Each says so plainly and exits with status 3.
 * When a verb is implemented, remove it from this list and register it from its own file.
 */
const STUBS: ReadonlyArray<[string, string]> = [
  ['build', 'Build or rebuild services'],
  ['watch', 'Watch build context for service and rebuild/refresh containers when files are updated'],
];

export function registerStubs(program: Command): void {
  const taken = new Set(program.commands.map((c) => c.name()));
  for (const [name, summary] of STUBS) {
    if (taken.has(name)) continue;
    program
      .command(name)
      .description(`${summary} (not implemented yet)`)
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .action(() => {
        throw new TscError('NOT_IMPLEMENTED', `tscompose ${name}: not implemented yet`);
      });
  }
}
