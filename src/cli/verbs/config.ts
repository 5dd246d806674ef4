/**
 * `tscompose config`: parse, resolve and render the compose file in canonical form, as `docker compose
 * config`. Listing flags print one name per line, sorted; SERVICE arguments limit the output to those
 * services and what they depend on (and enable their profiles). Warnings go to stderr only.
 */
import type { Command } from 'commander';
import { TscError } from '../../errors.js';
import { loadOptionsFrom, printWarnings } from '../global-options.js';
import { JSON_OPTION } from '../run.js';

interface ConfigFlags {
  format: string;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  hash?: string;
  variables?: boolean;
  environment?: boolean;
  quiet?: boolean;
  interpolate: boolean;
  output?: string;
}

export function registerConfig(program: Command): void {
  program
    .command('config')
    .alias('convert')
    .description('Parse, resolve and render compose file in canonical format')
    .argument('[service...]', 'only these services (and their dependencies)')
    .option('--format <format>', 'format the output: yaml or json', 'yaml')
    .option(...JSON_OPTION)
    .option('--services', 'print the service names, one per line')
    .option('--volumes', 'print the volume names, one per line')
    .option('--networks', 'print the network names, one per line')
    .option('--profiles', 'print the profile names, one per line')
    .option('--images', 'print the image names, one per line')
    .option('--hash <services>', 'print the service config hash, one per line ("*" for all, or a comma-separated list)')
    .option('--variables', 'print model variables and default values')
    .option('--environment', 'print environment used for interpolation')
    .option('-q, --quiet', 'only validate the configuration, don\'t print anything')
    .option('--no-interpolate', 'don\'t interpolate environment variables')
    .option('-o, --output <file>', 'save to file (default: stdout)')
    .action(async (services: string[], flags: ConfigFlags, cmd: Command) => {
      if (flags.format !== 'yaml' && flags.format !== 'json') {
        throw new TscError('USAGE', `unsupported format ${JSON.stringify(flags.format)}: use yaml or json`);
      }
      const { runConfig } = await import('./config-run.js');
      const formatGiven = cmd.getOptionValueSource('format') === 'cli';
      await runConfig(loadOptionsFrom(cmd, { services, interpolate: flags.interpolate }), services, { ...flags, formatGiven }, printWarnings);
    });
}
