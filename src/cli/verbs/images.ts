/**
 * `tscompose images`: the local image store as a Docker-like table (REPOSITORY TAG IMAGE ID SIZE),
 * `--format json`, or `-q` for ids only.
 */
import type { Command } from 'commander';

export function registerImages(program: Command): void {
  program
    .command('images')
    .description('List images in the local store')
    .option('--format <format>', 'format the output: table or json', 'table')
    .option('-q, --quiet', 'only display IDs')
    .action(async (flags: { format: string; quiet?: boolean }) => {
      const { listImages } = await import('./image-run.js');
      await listImages(flags);
    });
}
