/** `pause [SERVICE...]` / `unpause [SERVICE...]`: freeze or thaw the services' running containers (cgroup freezer). */
import type { Command } from 'commander';
import { JSON_OPTION } from '../run.js';

function register(program: Command, verb: 'pause' | 'unpause', description: string): void {
  program
    .command(verb)
    .description(description)
    .argument('[service...]')
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet')
    .option(...JSON_OPTION)
    .action(async (services: string[], _flags: unknown, cmd: Command) => {
      const [ref, { withProgress }, more] = await Promise.all([import('../project-ref.js'), import('../progress.js'), import('../../engine/more-verbs.js')]);
      await ref.checkServices(cmd, services);
      const p = await ref.projectRef(cmd, true);
      await withProgress(ref.progressMode(cmd), `${verb} ${p.name}`, (on) => more[verb](p.name, services, on));
    });
}

export function registerPause(program: Command): void {
  register(program, 'pause', 'Pause services');
}

export function registerUnpause(program: Command): void {
  register(program, 'unpause', 'Unpause services');
}
