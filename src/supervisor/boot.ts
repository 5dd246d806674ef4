/**
 * The supervisor's entry as bin/ and the CLI start it: `node dist/supervisor/main.cjs ARGS` (this file,
 * bundled as CommonJS by scripts/bundle-cli.mjs). It runs the supervisor's CommonJS bundle
 * (dist/cjs/supervisor.cjs, all of src/supervisor/main.ts in one file) through a V8 code cache, as the CLI
 * runs its verbs (src/cli/boot.ts, same trust rules in src/cli/code-cache.ts): `up` waits for its
 * supervisor's start, and parsing and compiling ~380 KB of JavaScript on every start was a good part of
 * it. The cache is written by a supervisor that ran a while (so it holds the functions of a whole first
 * `up`, compiled with the supervisor's own V8 flags), in $TSCOMPOSE_ROOT/cache/supervisor.
 *
 * When the bundles are not of this build (a `tsc` rebuild after the bundle step rewrote
 * dist/supervisor/main.js, which dist/cjs/manifest.json records), the ESM dist/supervisor/main.js runs.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheDir, loadCommonJs } from '../cli/code-cache.js';

/** Written once the first `up` of a supervisor is long done: its functions are compiled by then. */
const SAVE_AFTER_MS = 4_000;

/** Where main.ts finds how its code was loaded (hit, miss, ...: src/cli/code-cache.ts). */
export const CACHE_STATUS = Symbol.for('tscompose.supervisor-code-cache');
/**
 * Where main.ts finds the cache's save (absent: nothing to save). A `down` saves it before its answer:
 * saved at exit instead, the process would still be writing it when the CLI returns (a process left
 * behind, for a moment, by a `down` on a new install). Saving twice writes once.
 */
export const CACHE_SAVE = Symbol.for('tscompose.supervisor-code-cache-save');

/** dist/ of this file (dist/supervisor/main.cjs). */
const distDir = (): string => fileURLToPath(new URL('..', import.meta.url));

/** The CommonJS bundle of the supervisor, when the manifest says it is of the dist/supervisor/main.js there now. */
export function supervisorBundle(dist: string = distDir()): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dist, 'cjs', 'manifest.json'), 'utf8')) as { supervisor?: { size: number; mtimeMs: number; file: string } };
    const want = manifest.supervisor;
    if (want === undefined) return undefined;
    const st = statSync(join(dist, 'supervisor', 'main.js'));
    return st.size === want.size && st.mtimeMs === want.mtimeMs ? join(dist, 'cjs', want.file) : undefined;
  } catch {
    return undefined;
  }
}

export function bootSupervisor(): void {
  const file = supervisorBundle();
  if (file === undefined) {
    // not a literal: the bundler must leave this import to Node
    void import(new URL('./main.js', import.meta.url).href);
    return;
  }
  const loaded = loadCommonJs(file, codeCacheDir(process.env, 'supervisor'));
  // for main.ts's first log line (read once it has its project, long after this)
  (globalThis as Record<symbol, unknown>)[CACHE_STATUS] = loaded.status;
  if (loaded.status === 'hit') return;
  // after a first `up` of a supervisor that lives on; else at its exit (after `down` was answered)
  setTimeout(loaded.save, SAVE_AFTER_MS).unref();
  process.once('exit', loaded.save);
  (globalThis as Record<symbol, unknown>)[CACHE_SAVE] = loaded.save;
}
