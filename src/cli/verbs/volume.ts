/**
 * `tscompose volume ls|create|inspect|rm`: the local volume store, as `docker volume`. Heavy imports are
 * lazy (volume-run.ts), so registering this verb costs nothing.
 */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerVolume(program: Command): void {
  const volume = program.command('volume').description('Manage volumes');
  volume
    .command('ls')
    .alias('list')
    .description('List volumes')
    .option('--format <format>', 'output format: table, json, or a Go-style template such as {{.Name}}', 'table')
    .option(...JSON_OPTION)
    .option('-q, --quiet', 'only display volume names')
    .option('--filter <filter>', 'filter output: label=KEY[=VALUE], name=TEXT, driver=local, dangling=true|false (repeatable)', collect, [])
    .action(async (flags: { format: string; quiet?: boolean; filter: string[] }) => {
      const { volumeLs } = await import('./volume-run.js');
      await volumeLs(flags);
    });
  volume
    .command('create')
    .description('Create a volume')
    .argument('<name>', 'volume name')
    .option('--label <label>', 'set a label KEY=VALUE (repeatable)', collect, [])
    .option('-d, --driver <driver>', 'volume driver (only local)', 'local')
    .action(async (name: string, flags: { label: string[]; driver: string }) => {
      const { volumeCreate } = await import('./volume-run.js');
      await volumeCreate(name, flags);
    });
  volume
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .argument('<name...>', 'volume names')
    .option('-f, --format <format>', 'format the output with a Go-style template ({{.Mountpoint}}, {{json .Labels}})')
    .action(async (names: string[], flags: { format?: string }) => {
      const { volumeInspect } = await import('./volume-run.js');
      await volumeInspect(names, flags);
    });
  volume
    .command('prune')
    .description('Remove unused volumes (anonymous ones unless --all)')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (flags: { all?: boolean }) => {
      const { volumePrune } = await import('./volume-run.js');
      await volumePrune(flags);
    });
  volume
    .command('rm')
    .alias('remove')
    .description('Remove one or more volumes')
    .argument('<name...>', 'volume names')
    .option('-f, --force', 'do not fail on volumes that do not exist')
    .action(async (names: string[], flags: { force?: boolean }) => {
      const { volumeRm } = await import('./volume-run.js');
      await volumeRm(names, flags);
    });
}
