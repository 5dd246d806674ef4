/**
 * What bin/tscompose.js runs (bundled as CommonJS into dist/cli/boot.cjs): early.ts first (`up` starts its
 * spare supervisor, `--version` is answered), then the verb's own CommonJS bundle (dist/cjs/, made by
 * scripts/bundle-cli.mjs: commander, the CLI and everything that one verb can load, in one file) through a
 * V8 code cache. A CommonJS file loads without the ESM loader's resolve/link steps, and from the cache
 * without being parsed and compiled again; that was most of a `ps`. Returns false when the ESM CLI
 * (dist/cli/main.js) should run instead: --help, no or an unknown verb, or no bundles for this build.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheDir, loadCommonJs } from './code-cache.js';
import { runEarly } from './early.js';
import { earlyRequestWritten } from './early-request.js';
import { verbOf } from './verb-of.js';

/** dist/cjs/manifest.json: which bundle serves which verb, and the dist/cli/main.js it was built with. */
export interface BundleManifest {
  main: { size: number; mtimeMs: number };
  verbs: Record<string, string>;
}

/** dist/ of this file (dist/cli/boot.cjs); the bundles sit in dist/cjs/. */
const distDir = (): string => fileURLToPath(new URL('..', import.meta.url));

/** The bundle for this command line, if the manifest has one. */
export function bundleFor(args: readonly string[], manifest: BundleManifest, dist: string = distDir()): string | undefined {
  const verb = verbOf(args);
  if (verb === undefined || args.some((a) => a === '-h' || a === '--help')) return undefined;
  const file = Object.hasOwn(manifest.verbs, verb) ? manifest.verbs[verb] : undefined;
  return file === undefined ? undefined : join(dist, 'cjs', file);
}

/**
 * Returns true when the command line is taken care of here. `manifest`: dist/cjs/manifest.json, which
 * bin/ has checked is of this build (a `tsc` rebuild after the bundle step rewrites dist/cli/main.js; then
 * this file and the bundles may be stale and bin/ runs the ESM files tsc wrote instead).
 */
export function boot(manifest: BundleManifest, argv: readonly string[] = process.argv): boolean {
  const args = argv.slice(2);
  if (runEarly(args)) return true;
  const file = bundleFor(args, manifest);
  if (file === undefined) return false;
  const run = (): void => {
    const loaded = loadCommonJs(file, codeCacheDir());
    // at exit, the cache holds every function this run compiled, not only the top level
    if (loaded.status !== 'hit') process.once('exit', loaded.save);
    void (loaded.exports as { run(argv: readonly string[]): Promise<void> }).run(argv);
  };
  // an early request goes out first: its connection completes on the loop's next turn (early-request.ts)
  const written = earlyRequestWritten();
  if (written) void written.then(run);
  else run();
  return true;
}
