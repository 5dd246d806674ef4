/**
 * Public entry of the spec layer: compose files in, a typed Project out.
 * Implementation lives in the neighbouring modules; this file only fixes the signature.
 */
import type { LoadResult } from './model.js';

export interface LoadOptions {
  /** -f FILE, in order; "-" = stdin. Empty/undefined: COMPOSE_FILE, else discovery from cwd upwards. */
  files?: string[];
  /** --project-directory */
  projectDirectory?: string;
  /** -p */
  projectName?: string;
  /** --profile (repeatable); undefined: COMPOSE_PROFILES */
  profiles?: string[];
  /** --env-file (repeatable); undefined: <project dir>/.env if present */
  envFiles?: string[];
  /** false for `config --no-interpolate` */
  interpolate?: boolean;
  /** The caller's environment; default process.env */
  env?: Record<string, string | undefined>;
  /** Where discovery starts; default process.cwd() */
  cwd?: string;
}

export type { LoadResult };
