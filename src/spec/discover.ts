/**
 * Which compose files make the project, as Docker Compose decides it:
 * -f (repeatable, "-" = stdin) > COMPOSE_FILE (split on COMPOSE_PATH_SEPARATOR, default ":") > the first of
 * compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in the working directory or, failing
 * that, its nearest parent. A discovered file takes its override file from beside it (compose.override.yaml
 * or .yml for compose.*, docker-compose.override.yml or .yaml for docker-compose.*), as Compose does.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TscError } from '../errors.js';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
const OVERRIDES: Record<string, string[]> = {
  'compose.yaml': ['compose.override.yaml', 'compose.override.yml'],
  'compose.yml': ['compose.override.yml', 'compose.override.yaml'],
  'docker-compose.yml': ['docker-compose.override.yml', 'docker-compose.override.yaml'],
  'docker-compose.yaml': ['docker-compose.override.yaml', 'docker-compose.override.yml'],
};

export interface Discovered {
  /** Absolute paths, or "-" for stdin, in merge order. */
  files: string[];
  /** How they were found, for messages. */
  source: 'flag' | 'env' | 'search';
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The default file of `dir` or of its nearest parent, with its override file if present. */
export function searchUp(start: string): string[] | undefined {
  let dir = resolve(start);
  for (;;) {
    for (const name of DEFAULT_FILES) {
      const f = join(dir, name);
      if (isFile(f)) {
        const over = (OVERRIDES[name] ?? []).map((o) => join(dir, o)).find(isFile);
        return over ? [f, over] : [f];
      }
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
  /** --project-directory: where COMPOSE_FILE paths and discovery start when no -f is given */
  projectDirectory?: string;
}): Discovered {
  const abs = (base: string, f: string): string => (f === '-' ? '-' : isAbsolute(f) ? f : resolve(base, f));
  if (opts.files && opts.files.length > 0) {
    const files = opts.files.map((f) => abs(opts.cwd, f));
    for (const f of files) {
      if (f !== '-' && !existsSync(f)) throw new TscError('SPEC_NOT_FOUND', `open ${f}: no such file or directory`);
    }
    return { files, source: 'flag' };
  }
  const base = opts.projectDirectory ? resolve(opts.cwd, opts.projectDirectory) : opts.cwd;
  const fromEnv = opts.env.COMPOSE_FILE;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const sep = opts.env.COMPOSE_PATH_SEPARATOR || ':';
    const files = fromEnv.split(sep).filter((f) => f.trim() !== '').map((f) => abs(base, f.trim()));
    for (const f of files) {
      if (!existsSync(f)) throw new TscError('SPEC_NOT_FOUND', `open ${f}: no such file or directory (from COMPOSE_FILE)`);
    }
    return { files, source: 'env' };
  }
  const found = searchUp(base);
  if (!found) {
    throw new TscError(
      'SPEC_NOT_FOUND',
      `no configuration file provided: not found (looked for ${DEFAULT_FILES.join(', ')} in ${base} and its parents)`,
    );
  }
  return { files: found, source: 'search' };
}
