/**
 * `up [-d] [--scale S=N] [--no-start] [--force-recreate] [--no-recreate] [--remove-orphans] [--wait] [-V]
 * [--attach S] [--no-attach S] [--attach-dependencies] [SERVICE...]`.
 * Hands the project to its supervisor (started detached when needed) and renders progress until converged.
 * Without -d it then streams the logs; Ctrl-C stops the stack gracefully, a second Ctrl-C kills it.
 */
import { Option, type Command } from 'commander';
import { JSON_OPTION } from '../run.js';

interface UpFlags {
  detach?: boolean;
  scale: string[];
  start: boolean;
  forceRecreate?: boolean;
  alwaysRecreateDeps?: boolean;
  recreate: boolean;
  removeOrphans?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  pull?: string;
  /** false with --no-deps. */
  deps?: boolean;
  logPrefix: boolean;
  timestamps?: boolean;
  color: boolean;
  abortOnContainerExit?: boolean;
  abortOnContainerFailure?: boolean;
  exitCodeFrom?: string;
  timeout?: string;
  attach?: string[];
  noAttach?: string[];
  attachDependencies?: boolean;
  renewAnonVolumes?: boolean;
}

const list = (v: string, p: string[]): string[] => [...p, v];

/** `--no-attach S` takes a value: not commander's negation of `--attach` (which would fill `attach`). */
function noAttachOption(): Option {
  const o = new Option('--no-attach <service>', 'do not attach (stream logs) to the specified services (repeatable)').argParser(list).default([]);
  o.negate = false;
  o.attributeName = (): string => 'noAttach';
  return o;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Create and start containers')
    .argument('[service...]', 'services to start (with their dependencies)')
    .option('-d, --detach', 'detached mode: run containers in the background')
    .option('--scale <SERVICE=NUM>', 'scale SERVICE to NUM instances (repeatable)', list, [])
    .option('--no-start', 'don\'t start the services after creating them')
    .option('--force-recreate', 'recreate containers even if their configuration hasn\'t changed')
    .option('--no-recreate', 'if containers already exist, don\'t recreate them')
    .option('--always-recreate-deps', 'recreate dependent containers (incompatible with --no-recreate)')
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('--wait', 'wait for services to be running|healthy (implies detached mode)')
    .option('--wait-timeout <seconds>', 'maximum duration to wait for the project to be running|healthy')
    .option('--pull <policy>', 'pull image before running ("always"|"missing"|"never")')
    .option('--no-deps', 'don\'t start linked services')
    .option('--quiet-pull', 'pull without printing progress information (accepted)')
    .option('--build', 'build images before starting containers (accepted: tscompose does not build yet; a service with build: takes its image from the local store)')
    .option('--no-build', 'don\'t build an image (accepted: tscompose does not build yet)')
    .option('-y, --yes', 'assume "yes" as answer to all prompts (accepted)')
    .option('--no-log-prefix', 'don\'t print prefix in logs')
    .option('--attach <service>', 'restrict attaching to the specified services (repeatable)', list, [])
    .addOption(noAttachOption())
    .option('--attach-dependencies', 'automatically attach to log output of dependent services')
    .option('-V, --renew-anon-volumes', 'recreate anonymous volumes instead of retrieving data from the previous containers')
    .option('--timestamps', 'show timestamps')
    .option('--no-color', 'produce monochrome output')
    .option('--abort-on-container-exit', 'stops all containers if any container was stopped (incompatible with -d)')
    .option('--abort-on-container-failure', 'stops all containers if any container exited with failure (incompatible with -d)')
    .option('--exit-code-from <service>', 'return the exit code of the selected service container (implies --abort-on-container-exit)')
    .option('-t, --timeout <seconds>', 'shutdown timeout in seconds when attached (Ctrl-C, --abort-on-container-exit)')
    .option('--progress <mode>', 'progress output: auto, tty, plain, json, quiet')
    .option(...JSON_OPTION)
    .action(async (services: string[], flags: UpFlags, cmd: Command) => {
      const { runUp } = await import('./up-run.js');
      // done (the stack is handed to the supervisor): exit now rather than let Node free its heap at the
      // end of the event loop, tens of ms here (as down, scale)
      process.exit(await runUp(cmd, services, flags));
    });
}

export type { UpFlags };
