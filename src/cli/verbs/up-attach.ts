/**
 * Which services' logs a foreground `up` streams, as Compose decides it: `--attach S` (repeatable) names
 * them; otherwise the services named on the command line (all when none), plus their dependencies with
 * `--attach-dependencies`; `--no-attach S` then takes services out. Pure.
 */
import { TscError } from '../../errors.js';

export interface AttachFlags {
  attach?: string[];
  noAttach?: string[];
  attachDependencies?: boolean;
}

export function attachedServices(
  all: readonly string[],
  services: readonly string[],
  flags: AttachFlags,
  withDeps: (services: readonly string[]) => string[],
): string[] {
  const known = new Set(all);
  for (const s of [...(flags.attach ?? []), ...(flags.noAttach ?? [])]) {
    if (!known.has(s)) throw new TscError('NOT_FOUND', `no such service: ${s}`);
  }
  const base = flags.attach?.length
    ? flags.attach
    : services.length === 0 ? all : flags.attachDependencies ? withDeps(services) : services;
  const out = new Set(base);
  for (const s of flags.noAttach ?? []) out.delete(s);
  return [...out].sort();
}
