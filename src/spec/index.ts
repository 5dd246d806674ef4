/**
 * Public entry of the spec layer: compose files in, a typed Project out.
 * This module stays light (a cold `config -q` imports it): the pipeline is imported on first use.
 */
import type { LoadResult } from './model.js';
import type { ValidationMemo } from './validate-memo.js';

export interface LoadOptions {
  /** -f FILE, in order; "-" = stdin. Empty/undefined: COMPOSE_FILE, else discovery from cwd upwards. */
  files?: string[];
  /** --project-directory */
  projectDirectory?: string;
  /** -p */
  projectName?: string;
  /** --profile (repeatable); undefined: COMPOSE_PROFILES */
  profiles?: string[];
  /** --env-file (repeatable); undefined: COMPOSE_ENV_FILES, else <project dir>/.env if present */
  envFiles?: string[];
  /** false for `config --no-interpolate` */
  interpolate?: boolean;
  /** The caller's environment; default process.env */
  env?: Record<string, string | undefined>;
  /** Where discovery starts; default process.cwd() */
  cwd?: string;
  /** Services named on the command line: their profiles are activated, as Compose does (additive). */
  services?: string[];
  /** Content of "-" (stdin) when the caller already has it; default: read file descriptor 0 (additive). */
  stdin?: string;
  /** Documents found valid before, not validated again (validate-memo.ts); none: every file is validated (additive). */
  validationMemo?: ValidationMemo;
}

export type { ValidationMemo };

export type { LoadResult };

/** Loads, interpolates, validates, merges and normalizes the project; throws TscError with located details. */
export async function loadProject(opts: LoadOptions = {}): Promise<LoadResult> {
  const { load } = await import('./load.js');
  return load(opts);
}
