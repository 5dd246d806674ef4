/**
 * Which compose files make the project, as Docker Compose decides it:
 * -f (repeatable, "-" = stdin) > COMPOSE_FILE (split on COMPOSE_PATH_SEPARATOR, default ":") > the first of
 * compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in the working directory or, failing
 * that, its nearest parent. A discovered file takes the first override file beside it (compose.override.yml,
 * compose.override.yaml, docker-compose.override.yml, docker-compose.override.yaml, whichever the main file
 * is), and several candidates give a warning naming the one used, as compose-go does.
 */
import { specFs } from './inputs.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TscError } from '../errors.js';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
const OVERRIDES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

export interface Discovered {
  /** Absolute paths, or "-" for stdin, in merge order. */
  files: string[];
  /** How they were found, for messages. */
  source: 'flag' | 'env' | 'search';
  /** "Found multiple config files ..." notes of the search */
  warnings?: string[];
}

const isFile = (p: string): boolean => specFs.isFile(p);

/** The default file of `dir` or of its nearest parent, with its override file if present. */
export function searchUp(start: string, warnings: string[] = []): string[] | undefined {
  let dir = resolve(start);
  for (;;) {
    const found = DEFAULT_FILES.map((n) => join(dir, n)).filter(isFile);
    if (found.length > 0) {
      const main = found[0] as string;
      if (found.length > 1) warnings.push(`Found multiple config files with supported names: ${found.join(', ')}; using ${main}`);
      const overrides = OVERRIDES.map((o) => join(dir, o)).filter(isFile);
      if (overrides.length > 1) warnings.push(`Found multiple override files with supported names: ${overrides.join(', ')}; using ${overrides[0]}`);
      return overrides.length > 0 ? [main, overrides[0] as string] : [main];
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function discoverFiles(opts: {
  files?: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** --project-directory: where discovery starts when neither -f nor COMPOSE_FILE is given */
  projectDirectory?: string;
}): Discovered {
  const abs = (base: string, f: string): string => (f === '-' ? '-' : isAbsolute(f) ? f : resolve(base, f));
  if (opts.files && opts.files.length > 0) {
    const files = opts.files.map((f) => abs(opts.cwd, f));
    for (const f of files) {
      if (f !== '-' && !specFs.exists(f)) throw new TscError('SPEC_NOT_FOUND', `open ${f}: no such file or directory`);
    }
    return { files, source: 'flag' };
  }
  const base = opts.projectDirectory ? resolve(opts.cwd, opts.projectDirectory) : opts.cwd;
  const fromEnv = opts.env.COMPOSE_FILE;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const sep = opts.env.COMPOSE_PATH_SEPARATOR || ':';
    // relative to the working directory, not --project-directory (compose-go absolutePaths)
    const files = fromEnv.split(sep).filter((f) => f.trim() !== '').map((f) => abs(opts.cwd, f.trim()));
    for (const f of files) {
      if (!specFs.exists(f)) throw new TscError('SPEC_NOT_FOUND', `open ${f}: no such file or directory (from COMPOSE_FILE)`);
    }
    return { files, source: 'env' };
  }
  const warnings: string[] = [];
  const found = searchUp(base, warnings);
  if (!found) {
    throw new TscError(
      'SPEC_NOT_FOUND',
      `no configuration file provided: not found (looked for ${DEFAULT_FILES.join(', ')} in ${base} and its parents)`,
    );
  }
  return { files: found, source: 'search', warnings };
}
