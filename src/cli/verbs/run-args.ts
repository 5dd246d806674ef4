/**
 * Pure parser of `tscompose run [OPTIONS] SERVICE [COMMAND [ARG...]]`: options are read up to the
 * service name; everything after it belongs to the command (so `run web ls -la` keeps `-la`).
 */
import { TscError } from '../../errors.js';

export interface RunArgs {
  service: string;
  command: string[];
  rm: boolean;
  detach: boolean;
  noDeps: boolean;
  /** -e K=V; K alone takes the caller's value (left out when unset there). */
  env: string[];
  entrypoint?: string;
  workdir?: string;
  user?: string;
  name?: string;
  /** -T: no pseudo-TTY. */
  noTty: boolean;
  /** -t / --tty forced on. */
  tty: boolean;
  servicePorts: boolean;
  labels: string[];
}

const VALUE_OPTS: Record<string, keyof RunArgs> = {
  '-e': 'env',
  '--env': 'env',
  '--entrypoint': 'entrypoint',
  '-w': 'workdir',
  '--workdir': 'workdir',
  '-u': 'user',
  '--user': 'user',
  '--name': 'name',
  '-l': 'labels',
  '--label': 'labels',
};

const FLAG_OPTS: Record<string, keyof RunArgs | null> = {
  '--rm': 'rm',
  '-d': 'detach',
  '--detach': 'detach',
  '--no-deps': 'noDeps',
  '-T': 'noTty',
  '--no-TTY': 'noTty',
  '-t': 'tty',
  '--tty': 'tty',
  '--service-ports': 'servicePorts',
  // accepted for compatibility, without effect here
  '-i': null,
  '--interactive': null,
  '--remove-orphans': null,
  '--quiet-pull': null,
  '--build': null,
};

export const RUN_USAGE = `Options:
  -d, --detach            run container in background and print its name
  --rm                    remove the container when it exits
  -e, --env KEY[=VAL]     set an environment variable (repeatable)
  --entrypoint CMD        override the image's entrypoint
  -w, --workdir DIR       working directory inside the container
  -u, --user USER         run as this user (name or uid[:gid])
  --name NAME             name of the container
  -l, --label KEY=VAL     add a label (repeatable)
  --no-deps               don't start linked services
  -T, --no-TTY            disable pseudo-TTY allocation (default: auto-detected)
  --service-ports         run with the service's ports enabled and mapped to the host`;

export function parseRunArgs(argv: readonly string[]): RunArgs {
  const out: RunArgs = { service: '', command: [], rm: false, detach: false, noDeps: false, env: [], noTty: false, tty: false, servicePorts: false, labels: [] };
  let i = 0;
  const setValue = (key: keyof RunArgs, v: string): void => {
    if (key === 'env' || key === 'labels') out[key].push(v);
    else if (key === 'entrypoint' || key === 'workdir' || key === 'user' || key === 'name') out[key] = v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const vkey = VALUE_OPTS[name] ?? (a.length > 2 && !a.startsWith('--') ? VALUE_OPTS[a.slice(0, 2)] : undefined);
    if (vkey !== undefined) {
      if (eq > 0) setValue(vkey, a.slice(eq + 1));
      else if (name === a && VALUE_OPTS[a] !== undefined) {
        const v = argv[++i];
        if (v === undefined) throw new TscError('USAGE', `run: option ${a} needs a value`);
        setValue(vkey, v);
      } else setValue(vkey, a.slice(2)); // -eFOO=bar
      continue;
    }
    // combined short flags, as docker's CLI takes them: -it, -dT
    const flags = name in FLAG_OPTS ? [name] : /^-[a-zA-Z]{2,}$/.test(name) ? [...name.slice(1)].map((c) => `-${c}`) : [];
    if (flags.length > 0 && flags.every((f) => f in FLAG_OPTS)) {
      for (const f of flags) {
        const key = FLAG_OPTS[f];
        if (key === 'rm' || key === 'detach' || key === 'noDeps' || key === 'noTty' || key === 'tty' || key === 'servicePorts') out[key] = true;
      }
      continue;
    }
    throw new TscError('USAGE', `run: unknown option ${a}`);
  }
  const service = argv[i];
  if (service === undefined) throw new TscError('USAGE', 'run: requires a SERVICE argument');
  out.service = service;
  out.command = argv.slice(i + 1);
  return out;
}

/** -e entries over the service environment: K=V sets, K takes the caller's value (dropped if unset). */
export function applyEnv(base: Record<string, string>, entries: readonly string[], callerEnv: Record<string, string | undefined>): Record<string, string> {
  const out = { ...base };
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i === 0) throw new TscError('USAGE', `run: invalid environment entry "${e}"`);
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
    else {
      const v = callerEnv[e];
      if (v !== undefined) out[e] = v;
    }
  }
  return out;
}
