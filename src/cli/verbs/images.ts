/**
 * `tscompose images [SERVICE...]`: the local image store as a Docker-like table (REPOSITORY TAG IMAGE ID
 * CREATED SIZE), `--format json`, or `-q` for ids only; with services, only the images those services use.
 */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

export function registerImages(program: Command): void {
  program
    .command('images')
    .description('List images in the local store')
    .option('--format <format>', 'format the output: table or json', 'table')
    .option(...JSON_OPTION)
    .argument('[service...]', 'only the images of these services')
    .option('-q, --quiet', 'only display IDs')
    .action(async (services: string[], flags: { format: string; quiet?: boolean }, cmd: Command) => {
      const { listImages, serviceImageIds } = await import('./image-run.js');
      await listImages(flags, services.length > 0 ? await serviceImageIds(cmd, services) : undefined);
    });
}
