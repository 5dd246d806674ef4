/**
 * Pure derivation of a container's process from the image config and the service, with Compose's
 * override rules: `entrypoint` replaces the image Entrypoint and clears the image Cmd; `command`
 * replaces Cmd; a one-off `run` command replaces both `command` and the image Cmd.
 */
import { createHash } from 'node:crypto';
import { TscError } from '../errors.js';
import type { ImageRuntimeConfig } from '../image/api.js';
import type { Service } from '../spec/model.js';
import { DEFAULT_PATH } from './oci-defaults.js';

export function processArgs(
  spec: Pick<Service, 'entrypoint' | 'command' | 'name'>,
  image: Pick<ImageRuntimeConfig, 'entrypoint' | 'cmd'>,
  commandOverride?: readonly string[],
): string[] {
  const entrypoint = spec.entrypoint ?? image.entrypoint ?? [];
  const imageCmd = spec.entrypoint !== undefined ? [] : (image.cmd ?? []);
  const cmd = commandOverride !== undefined && commandOverride.length > 0 ? commandOverride : (spec.command ?? imageCmd);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) {
    throw new TscError('SPEC_INVALID', `service "${spec.name}": no command specified (the image has no Entrypoint or Cmd and the service sets none)`);
  }
  return args;
}

/** Split "K=V" entries into an ordered map (a later duplicate wins, keeping the first position). */
export function envListToMap(list: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of list) {
    const i = e.indexOf('=');
    if (i <= 0) {
      if (e.length > 0 && i < 0) m.set(e, '');
      continue;
    }
    m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/**
 * Image Env overlaid by the service's environment, then the engine defaults for what neither sets:
 * PATH, HOSTNAME, HOME (from the resolved user) and TERM=xterm with a tty (as Docker).
 */
export function processEnv(opts: {
  imageEnv: readonly string[];
  serviceEnv: Record<string, string>;
  hostname: string;
  home?: string;
  tty: boolean;
}): string[] {
  const m = envListToMap(opts.imageEnv);
  for (const [k, v] of Object.entries(opts.serviceEnv)) m.set(k, v);
  if (!m.has('PATH')) m.set('PATH', DEFAULT_PATH);
  if (!m.has('HOSTNAME')) m.set('HOSTNAME', opts.hostname);
  if (opts.home !== undefined && !m.has('HOME')) m.set('HOME', opts.home);
  if (opts.tty && !m.has('TERM')) m.set('TERM', 'xterm');
  return [...m].map(([k, v]) => `${k}=${v}`);
}

/** working_dir, else the image WorkingDir, else "/"; a relative path is taken from "/". */
export function processCwd(serviceDir: string | undefined, imageDir: string | undefined): string {
  const d = serviceDir !== undefined && serviceDir !== '' ? serviceDir : imageDir !== undefined && imageDir !== '' ? imageDir : '/';
  const abs = d.startsWith('/') ? d : `/${d}`;
  const parts: string[] = [];
  for (const p of abs.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/**
 * Default hostname: 12 hex characters derived from the container id, like Docker's short container id.
 * Our ids start with the readable project-service-N name, so a plain prefix would give every replica of
 * a long-named project the same hostname; a hash keeps each replica's own.
 */
export function defaultHostname(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}

/** `no-new-privileges`, `no-new-privileges:true` / `=true` → true; `:false` → false. */
export function noNewPrivileges(securityOpt: readonly string[]): boolean {
  let v = false;
  for (const o of securityOpt) {
    const m = /^no-new-privileges(?:[:=](true|false))?$/.exec(o.trim());
    if (m) v = m[1] !== 'false';
  }
  return v;
}
