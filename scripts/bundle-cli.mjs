// Build step: bundle the CLI (src/cli/main.ts) with esbuild into dist/cli/main.js plus shared chunks in
// dist/chunks/, over tsc's per-file output of that entry; bin/'s first module (src/cli/early.ts) and the
// supervisor (src/supervisor/main.ts) each into one file of their own. A cold `tscompose config -q` then reads a handful of
// files instead of ~50 ESM modules and commander's CommonJS files, each resolved, read and linked on its own
// (the resolution and linking, not our code, was most of the start-up time). Verbs stay lazy: every dynamic
// import() is a split point, so a verb's module and what it needs load only when that verb runs.
//
// Files that find things next to themselves (`new URL('../../schemas/…', import.meta.url)`, the standalone
// validator, the supervisor's main.js, native binaries) get `import.meta.url` replaced by the URL their
// tsc-compiled twin has in dist/, so they resolve exactly as unbundled. That holds because the entries
// (dist/cli/, dist/supervisor/) and the chunks (dist/chunks/) sit at the same depth below dist/.
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = resolve(root, process.argv[2] ?? 'dist'); // another folder for experiments, as gen-validator.mjs

/** `import.meta.url` of src/a/b.ts becomes the URL of dist/a/b.js, computed from the chunk's own URL. */
const keepMetaUrl = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      const rel = relative(src, args.path);
      if (rel.startsWith('..')) return undefined;
      if (/import\.meta\.(dirname|filename|resolve)/.test(text)) {
        throw new Error(`${rel}: import.meta.dirname/filename/resolve is not rewritten by scripts/bundle-cli.mjs; use import.meta.url`);
      }
      if (text.includes('import.meta.url')) {
        const twin = `../${rel.split(sep).join('/').replace(/\.ts$/, '.js')}`;
        text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(twin)}, import.meta.url).href`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

/**
 * Node built-ins that cost a cold start when loaded and are not needed by every verb: commander requires
 * node:child_process (for executable subcommands, which tscompose has none of), which drags in net, stream
 * and dgram; `ps` would load crypto for code it never runs; an ESM import of node:fs reads every export of fs,
 * which loads its streams. Each import of these gets a stand-in whose exports are getters that require the
 * real module on first use: the same values, loaded when touched. Export names are taken from this Node.
 */
const LAZY_BUILTINS = ['child_process', 'crypto', 'dgram', 'fs', 'fs/promises', 'net', 'os', 'readline', 'tls', 'zlib', 'http', 'https', 'dns', 'worker_threads'];
/** The supervisor needs nearly every built-in before it answers; not what only a pull uses. */
const SUPERVISOR_LAZY_BUILTINS = ['tls', 'zlib', 'http', 'https'];
const lazyBuiltins = (list) => ({
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${list.join('|').replaceAll('/', '\\/')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtin' // the stand-in's own require of the real module
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys(await import(`node:${args.path}`)).filter((k) => k !== 'default');
      const contents = [
        'let real;',
        `const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));`,
        'const props = {};',
        `for (const k of ${JSON.stringify(names)}) props[k] = { get: () => load()[k], enumerable: true };`,
        'module.exports = Object.defineProperties({}, props);',
      ].join('\n');
      return { contents, loader: 'js' };
    });
  },
});

await rm(join(dist, 'chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': join(src, 'cli/main.ts') },
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // koffi is a native addon; ajv is only the run-time fallback when the standalone validator is missing
  external: ['koffi', 'ajv'],
  // bundled CommonJS (commander) calls require() for Node's built-ins
  banner: { js: "import { createRequire as __tscCreateRequire } from 'node:module';\nconst require = __tscCreateRequire(import.meta.url);" },
  plugins: [keepMetaUrl, lazyBuiltins(LAZY_BUILTINS)],
  allowOverwrite: true,
  legalComments: 'none',
  logLevel: 'warning',
});
// bin/'s first module, on its own (no shared chunks: every file it imports is one more read before `up` can
// start its supervisor); the main bundle has its own copy, the two meet through a Symbol.for global
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/early': join(src, 'cli/early.ts') },
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [keepMetaUrl],
  allowOverwrite: true,
  legalComments: 'none',
  logLevel: 'warning',
});
// the supervisor in one file: it loads nearly all of its modules before it can answer `up` anyway, and
// one file is read, resolved and linked once instead of ~40 chunks one by one
await build({
  absWorkingDir: root,
  entryPoints: { 'supervisor/main': join(src, 'supervisor/main.ts') },
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'ajv'],
  banner: { js: "import { createRequire as __tscCreateRequire } from 'node:module';\nconst require = __tscCreateRequire(import.meta.url);" },
  plugins: [keepMetaUrl, lazyBuiltins(SUPERVISOR_LAZY_BUILTINS)],
  allowOverwrite: true,
  legalComments: 'none',
  logLevel: 'warning',
});
