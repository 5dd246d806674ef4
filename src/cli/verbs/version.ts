/** `version [--short] [-f|--format pretty|json]`: as `docker compose version`. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { TscError } from '../../errors.js';
import { JSON_OPTION } from '../run.js';

export function versionText(version: string, opts: { short?: boolean; format?: string }): string {
  if (opts.short) return `${version}\n`;
  const format = opts.format ?? 'pretty';
  if (format === 'json') return `${JSON.stringify({ version: `v${version}` })}\n`;
  if (format !== 'pretty' && format !== 'table') throw new TscError('USAGE', `invalid format "${format}": use pretty or json`);
  return `tscompose version v${version}\n`;
}

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('Show the tscompose version information')
    .option('--short', 'shows only the version number')
    .option('-f, --format <format>', 'format the output: pretty or json')
    .option(...JSON_OPTION)
    .action((flags: { short?: boolean; format?: string }) => {
      // src/cli/verbs/version.ts and its dist/ twin both sit three levels below package.json
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
      process.stdout.write(versionText(pkg.version, flags));
    });
}
