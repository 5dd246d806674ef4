/**
 * `tscompose pull [SERVICE...]`: pulls the images of the project's services (as `docker compose pull`).
 * Services whose pull_policy is never or build are skipped; for services that also have `build:`, a failed
 * pull is reported but does not fail the command (they can be built); `--ignore-buildable` skips them.
 * `--include-deps` also pulls the services the named ones depend on. The work is in image-run.ts (lazy).
 */
import type { Command } from 'commander';

export function registerPull(program: Command): void {
  program
    .command('pull')
    .description('Pull service images')
    .argument('[service...]', 'services (default: all)')
    .option('-q, --quiet', 'pull without printing progress information')
    .option('--policy <policy>', 'apply pull policy ("missing" | "always")', 'always')
    .option('--ignore-pull-failures', 'pull what it can and ignore images with pull failures')
    .option('--ignore-buildable', 'ignore images that can be built')
    .option('--include-deps', 'also pull services declared as dependencies')
    .action(async (services: string[], flags: { quiet?: boolean; policy: string; ignorePullFailures?: boolean; ignoreBuildable?: boolean; includeDeps?: boolean }, cmd: Command) => {
      const { pullServices } = await import('./image-run.js');
      await pullServices(cmd, services, flags);
    });
}
