/**
 * The project name of `up` as far as bin/ can know it before the CLI loads anything, so that the spare
 * supervisor can take that project's lock while the CLI loads the files (src/cli/early.ts). Compose's
 * order: -p > COMPOSE_PROJECT_NAME > .env > top-level `name:` > the project directory's name. The name is
 * given only when it is certain from cheap facts; otherwise undefined (the spare then waits for the name
 * as before). A wrong hint would only cost time: the spare serves the name the CLI sends.
 */
import { normalizeProjectName } from '../spec/project-name.js';
import { statedProjectName } from './verb-of.js';

/** What the directory rule needs to look at; fs in real use. */
export interface HintHost {
  cwd: string;
  /** The file's text; undefined when it is not a regular file. */
  read(path: string): string | undefined;
  exists(path: string): boolean;
}

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
const OVERRIDES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];
/** Global options that say nothing about which files or environment make the project. */
const NEUTRAL_OPTIONS = new Set(['--progress', '--profile']);

/**
 * A top-level key that could name the project, or a shape whose top level a line scan cannot read (flow
 * mapping, merge key, an indented first key, a document marker with content): not certain.
 */
function mayName(text: string): boolean {
  if (/^(?:["']?name["']?\s*:|[{[<?&*!%]|---[ \t]+\S)/m.test(text)) return true;
  const first = text.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith('#') && l.trim() !== '---');
  return first !== undefined && /^\s/.test(first);
}

/**
 * The directory rule, only when nothing above it can apply: no -f, --project-directory or --env-file,
 * no COMPOSE_FILE, COMPOSE_ENV_FILES or COMPOSE_PROJECT_NAME, no .env in the working directory, a compose
 * file in the working directory itself (not found in a parent), and no top-level `name:` in it or its
 * override file.
 */
export function directoryProjectName(args: readonly string[], env: Record<string, string | undefined>, host: HintHost): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-')) break;
    const opt = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (!NEUTRAL_OPTIONS.has(opt)) return undefined;
    if (opt === a) i++;
  }
  if (env.COMPOSE_PROJECT_NAME || env.COMPOSE_FILE?.trim() || env.COMPOSE_ENV_FILES?.trim()) return undefined;
  const at = (f: string): string => `${host.cwd.replace(/\/+$/, '')}/${f}`;
  if (host.exists(at('.env'))) return undefined;
  const main = DEFAULT_FILES.map((f) => host.read(at(f))).find((t) => t !== undefined);
  if (main === undefined || mayName(main)) return undefined;
  const override = OVERRIDES.map((f) => host.read(at(f))).find((t) => t !== undefined);
  if (override !== undefined && mayName(override)) return undefined;
  const name = normalizeProjectName(host.cwd.replace(/\/+$/, '').split('/').pop() ?? '');
  return name === '' ? undefined : name;
}

/** The hint for a spare: -p / COMPOSE_PROJECT_NAME, else the directory rule when it is certain. */
export function projectHint(args: readonly string[], env: Record<string, string | undefined>, host: () => HintHost): string | undefined {
  return statedProjectName(args, env) ?? directoryProjectName(args, env, host());
}

/** The real host: node:fs, loaded on use (bin/ loads no more than it needs). */
export function fsHintHost(): HintHost {
  const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  return {
    cwd: process.cwd(),
    read: (p) => {
      try {
        return fs.statSync(p).isFile() ? fs.readFileSync(p, 'utf8') : undefined;
      } catch {
        return undefined;
      }
    },
    exists: (p) => fs.existsSync(p),
  };
}
