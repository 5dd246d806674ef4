/**
 * `image import --change` (as `docker import -c`): Dockerfile instructions applied to the new image's
 * config (pure). Supported as by Docker: CMD, ENTRYPOINT (exec JSON form or shell form → /bin/sh -c),
 * ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL.
 */
import { TscError } from '../errors.js';
import type { ImageRuntimeConfig } from './api.js';
import { DEFAULT_PATH } from './import.js';
import { splitShellWords } from '../spec/parse-shell.js';

function bad(change: string, why: string): TscError {
  return new TscError('USAGE', `invalid --change ${JSON.stringify(change)}: ${why}`);
}

/** A JSON list of strings, or undefined. */
function jsonList(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const j: unknown = JSON.parse(rest);
    return Array.isArray(j) && j.every((x) => typeof x === 'string') ? (j as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** `["a","b"]` (exec form) or a command line for /bin/sh -c (shell form). */
function command(change: string, rest: string): string[] {
  const list = jsonList(rest);
  if (list) return list;
  if (rest === '') throw bad(change, 'needs a command');
  return ['/bin/sh', '-c', rest];
}

function words(change: string, rest: string): string[] {
  const w = splitShellWords(rest);
  if (w.value === undefined) throw bad(change, w.error ?? 'bad quoting');
  return w.value;
}

/** K=V pairs (quotes removed); the legacy `ENV K V` form too. */
function pairs(change: string, rest: string, legacy: boolean): Array<[string, string]> {
  const ws = words(change, rest);
  if (legacy && ws.length > 0 && !ws[0]!.includes('=')) {
    const i = rest.search(/\s/);
    if (i < 0) throw bad(change, 'needs a value');
    return [[ws[0]!, rest.slice(i).trim()]];
  }
  return ws.map((x) => {
    const eq = x.indexOf('=');
    if (eq <= 0) throw bad(change, `${JSON.stringify(x)} is not KEY=VALUE`);
    return [x.slice(0, eq), x.slice(eq + 1)];
  });
}

export function applyChanges(base: Partial<ImageRuntimeConfig>, changes: readonly string[]): Partial<ImageRuntimeConfig> {
  const c: Partial<ImageRuntimeConfig> = { ...base };
  for (const change of changes) {
    const m = /^\s*(\w+)\s*(.*?)\s*$/s.exec(change);
    if (!m) throw bad(change, 'empty');
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    switch (op) {
      case 'CMD':
        c.cmd = command(change, rest);
        break;
      case 'ENTRYPOINT':
        c.entrypoint = command(change, rest);
        break;
      case 'ENV': {
        const env = new Map((c.env ?? [DEFAULT_PATH]).map((e) => [e.slice(0, e.indexOf('=')), e] as const));
        for (const [k, v] of pairs(change, rest, true)) env.set(k, `${k}=${v}`);
        c.env = [...env.values()];
        break;
      }
      case 'LABEL':
        c.labels = { ...(c.labels ?? {}), ...Object.fromEntries(pairs(change, rest, false)) };
        break;
      case 'EXPOSE':
        for (const p of words(change, rest)) {
          if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/i.test(p)) throw bad(change, `bad port ${JSON.stringify(p)}`);
          const port = p.includes('/') ? p.toLowerCase() : `${p}/tcp`;
          c.exposedPorts = [...new Set([...(c.exposedPorts ?? []), port])];
        }
        break;
      case 'VOLUME': {
        const vols = jsonList(rest) ?? words(change, rest);
        if (vols.length === 0) throw bad(change, 'needs a path');
        c.volumes = [...new Set([...(c.volumes ?? []), ...vols])];
        break;
      }
      case 'USER':
      case 'WORKDIR':
      case 'STOPSIGNAL':
        if (rest === '') throw bad(change, 'needs a value');
        if (op === 'USER') c.user = rest;
        else if (op === 'WORKDIR') c.workingDir = rest;
        else c.stopSignal = rest;
        break;
      default:
        throw bad(change, `${op} is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL are)`);
    }
  }
  return c;
}
