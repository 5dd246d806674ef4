/**
 * The root program's global options (-f, -p, --project-directory, --profile, --env-file) turned into the
 * spec layer's LoadOptions, for every verb that loads the project. Kept free of heavy imports: verbs call
 * it in their action before lazily importing the loader.
 */
import type { Command } from 'commander';
import type { LoadOptions } from '../spec/index.js';
import { validationMemo } from './validation-memo.js';

interface GlobalFlags {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  profile?: string[];
  envFile?: string[];
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** `cmd` is the verb's Command (its parents' options are included); `extra` adds verb-level choices. */
export function loadOptionsFrom(cmd: Command, extra: Pick<LoadOptions, 'services' | 'interpolate'> = {}): LoadOptions {
  const o = cmd.optsWithGlobals<GlobalFlags>();
  const files = strings(o.file);
  const profiles = strings(o.profile);
  const envFiles = strings(o.envFile);
  const opts: LoadOptions = { env: process.env, cwd: process.cwd() };
  const memo = validationMemo();
  if (memo) opts.validationMemo = memo;
  if (files && files.length > 0) opts.files = files;
  if (profiles && profiles.length > 0) opts.profiles = profiles;
  if (envFiles && envFiles.length > 0) opts.envFiles = envFiles;
  const name = text(o.projectName);
  if (name !== undefined) opts.projectName = name;
  const dir = text(o.projectDirectory);
  if (dir !== undefined) opts.projectDirectory = dir;
  if (extra.services && extra.services.length > 0) opts.services = extra.services;
  if (extra.interpolate === false) opts.interpolate = false;
  return opts;
}

/** Load warnings as Compose prints them: on stderr, never on stdout. */
export function printWarnings(warnings: ReadonlyArray<{ location: string; path: string; message: string }>): void {
  for (const w of warnings) process.stderr.write(`WARN[0000] ${w.location}: ${w.path}: ${w.message}\n`);
}
