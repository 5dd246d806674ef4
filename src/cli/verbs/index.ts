import type { Command } from 'commander';
import { verbOf } from '../verb-of.js';

export { verbOf };

type Registrar = (program: Command) => void;

/**
 * Each verb's `register`, imported only when needed: a cold `tscompose config -q` or `ps` loads one verb
 * module, not all of them (`--help`, an unknown verb or none at all loads every one, to list them).
 * Keep these modules light anyway: heavy imports go inside the actions.
 */
const VERBS: Record<string, () => Promise<Registrar>> = {
  config: async () => (await import('./config.js')).registerConfig,
  run: async () => (await import('./run.js')).registerRun,
  volume: async () => (await import('./volume.js')).registerVolume,
  pull: async () => (await import('./pull.js')).registerPull,
  images: async () => (await import('./images.js')).registerImages,
  image: async () => (await import('./image.js')).registerImage,
  up: async () => (await import('./up.js')).registerUp,
  down: async () => (await import('./down.js')).registerDown,
  ps: async () => (await import('./ps.js')).registerPs,
  logs: async () => (await import('./logs.js')).registerLogs,
  scale: async () => (await import('./scale.js')).registerScale,
  lifecycle: async () => (await import('./lifecycle.js')).registerLifecycle,
  top: async () => (await import('./top.js')).registerTop,
  events: async () => (await import('./events.js')).registerEvents,
  exec: async () => (await import('./exec.js')).registerExec,
  port: async () => (await import('./port.js')).registerPort,
  ls: async () => (await import('./ls.js')).registerLs,
  rm: async () => (await import('./rm.js')).registerRm,
  create: async () => (await import('./create.js')).registerCreate,
  pause: async () => (await import('./pause.js')).registerPause,
  unpause: async () => (await import('./pause.js')).registerUnpause,
  wait: async () => (await import('./wait.js')).registerWait,
  version: async () => (await import('./version.js')).registerVersion,
  stats: async () => (await import('./stats.js')).registerStats,
  cp: async () => (await import('./cp.js')).registerCp,
};
const LIFECYCLE = new Set(['stop', 'start', 'restart', 'kill']);

export async function registerAll(program: Command, args?: readonly string[]): Promise<void> {
  const verb = args ? verbOf(args) : undefined;
  const key = verb !== undefined && LIFECYCLE.has(verb) ? 'lifecycle' : verb;
  const one = key !== undefined && key !== 'help' ? VERBS[key] : undefined;
  const loaders = one ? [one] : Object.values(VERBS);
  for (const r of await Promise.all(loaders.map((l) => l()))) r(program);
  if (!one) (await import('./stubs.js')).registerStubs(program);
}
