/**
 * `tscompose image load|import|rm|prune|ls|inspect|pull`: manage the local image store (as `docker image`).
 */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

export function registerImage(program: Command): void {
  const image = program.command('image').description('Manage images (load, import, rm, prune)');
  image
    .command('load')
    .description('Load images from a docker-save or OCI-layout tar archive (plain or gzip)')
    .option('-i, --input <file>', 'read from a tar archive file, instead of STDIN')
    .option('-q, --quiet', 'suppress the load output')
    .action(async (flags: { input?: string; quiet?: boolean }) => {
      const { imageLoad } = await import('./image-run.js');
      await imageLoad(flags);
    });
  image
    .command('import')
    .description('Import the contents of a rootfs tarball to create a single-layer image')
    .argument('<file>', 'rootfs tarball (plain, gzip or zstd); "-" reads it from STDIN')
    .argument('[reference]', 'NAME[:TAG] for the new image')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-m, --message <message>', 'set a commit message for the imported image')
    .action(async (file: string, ref: string | undefined, flags: { change: string[]; message?: string }) => {
      const { imageImport } = await import('./image-run.js');
      await imageImport(file, ref, flags);
    });
  image
    .command('rm')
    .alias('remove')
    .description('Remove one or more images (untag; the image goes with its last tag)')
    .argument('<image...>', 'references or ids')
    .option('-f, --force', 'force removal of an image in use by a container; no error for missing images')
    .action(async (refs: string[], flags: { force?: boolean }) => {
      const { imageRm } = await import('./image-run.js');
      await imageRm(refs, flags);
    });
  image
    .command('prune')
    .description('Remove dangling images (-a: all images no container uses) and the layers no image uses')
    .option('-a, --all', 'remove all images not used by a container, not only dangling ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (flags: { all?: boolean }) => {
      const { imagePrune } = await import('./image-run.js');
      await imagePrune(flags);
    });
  image
    .command('ls')
    .alias('list')
    .description('List images')
    .option('--format <format>', 'format the output: table or json', 'table')
    .option(...JSON_OPTION)
    .option('-q, --quiet', 'only display IDs')
    .action(async (flags: { format: string; quiet?: boolean }) => {
      const { listImages } = await import('./image-run.js');
      await listImages(flags);
    });
  image
    .command('inspect')
    .description('Display detailed information on one or more images (JSON, as docker image inspect)')
    .argument('<image...>', 'references or ids')
    .action(async (refs: string[]) => {
      const { imageInspect } = await import('./image-run.js');
      await imageInspect(refs);
    });
  image
    .command('pull')
    .description('Pull an image from a registry')
    .argument('<reference>', 'image reference')
    .option('-q, --quiet', 'suppress progress output')
    .action(async (ref: string, flags: { quiet?: boolean }, cmd: Command) => {
      const { imagePull } = await import('./image-run.js');
      await imagePull(cmd, ref, flags);
    });
}
