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
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = resolve(root, process.argv[2] ?? 'dist'); // another folder for experiments, as gen-validator.mjs

/**
 * `import.meta.url` of src/a/b.ts becomes the URL of dist/a/b.js, computed from the chunk's own URL
 * (`base`: how the chunk gets its own URL; CommonJS has no import.meta, the banner defines __tscSelfUrl).
 */
const metaUrlPlugin = (base) => ({
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
        text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(twin)}, ${base}).href`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
});
const keepMetaUrl = metaUrlPlugin('import.meta.url');
const keepMetaUrlCjs = metaUrlPlugin('__tscSelfUrl()');
const CJS_BANNER = "const __tscSelfUrl = () => require('node:url').pathToFileURL(__filename).href;";

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

/**
 * Packages only some runs of a verb use (listr2: the TTY progress renderer, with its ~160 KB of ANSI and
 * width helpers) go to files of their own in dist/cjs/lazy/, required when first imported: every byte of
 * a verb's bundle is read and turned into a string at each start, used or not. They share nothing with
 * the verbs' code (no class of ours crosses), so a copy of their own is safe.
 */
const LAZY_PACKAGES = ['listr2'];
const lazyPackages = {
  name: 'lazy-packages',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_PACKAGES.join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-package' }));
    b.onResolve({ filter: /^\.\/lazy\//, namespace: 'lazy-package' }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`./lazy/${args.path}.cjs`)});`, loader: 'js' }));
  },
};

/**
 * CommonJS, for the start of every run (src/cli/boot.ts): Node loads a CommonJS file without the ESM
 * loader's resolve and link steps (~15 ms of a ~200 ms `ps`), and boot.ts runs it through a V8 code cache.
 * esbuild cannot split CommonJS, so each verb of the registry (src/cli/verbs/index.ts) gets a bundle of
 * its own with commander, src/cli/run.ts and everything that verb may load (inlined, still run lazily);
 * the duplication costs only disk. --help, no verb or an unknown one run the ESM bundle above.
 */
const registry = await readFile(join(src, 'cli/verbs/index.ts'), 'utf8');
const verbs = [...registry.matchAll(/^\s+(\w+): async \(\) => \(await import\('\.\/([\w-]+)\.js'\)\)\.(\w+),$/gm)].map(([, key, file, fn]) => ({ key, file, fn }));
const lifecycle = /const LIFECYCLE = new Set\(\[([^\]]*)\]\)/.exec(registry)?.[1]?.match(/[\w-]+/g);
if (verbs.length < 10 || !lifecycle) throw new Error('scripts/bundle-cli.mjs: cannot read the verb registry of src/cli/verbs/index.ts');
const verbEntries = {
  name: 'verb-entries',
  setup(b) {
    b.onResolve({ filter: /^tsc-verb:/ }, (args) => ({ path: args.path.slice('tsc-verb:'.length), namespace: 'tsc-verb' }));
    b.onLoad({ filter: /.*/, namespace: 'tsc-verb' }, (args) => {
      const v = verbs.find((x) => x.key === args.path);
      const contents = [
        `import { main } from ${JSON.stringify(join(src, 'cli/run.ts'))};`,
        `import { ${v.fn} } from ${JSON.stringify(join(src, 'cli/verbs', `${v.file}.ts`))};`,
        `export const run = (argv) => main([...argv], async (program) => { ${v.fn}(program); });`,
      ].join('\n');
      return { contents, loader: 'js', resolveDir: join(src, 'cli') };
    });
  },
};
const cjsOptions = {
  absWorkingDir: root,
  outdir: dist,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'ajv'],
  banner: { js: CJS_BANNER },
  allowOverwrite: true,
  legalComments: 'none',
  logLevel: 'warning',
};
await rm(join(dist, 'cjs'), { recursive: true, force: true });
await build({
  ...cjsOptions,
  entryPoints: Object.fromEntries(verbs.map((v) => [`cjs/${v.key}`, `tsc-verb:${v.key}`])),
  // not fs: a CommonJS require of node:fs is free (Node has loaded it), while each module's import of a
  // stand-in copies its ~100 getters (esbuild's __toESM)
  plugins: [verbEntries, lazyPackages, keepMetaUrlCjs, lazyBuiltins(LAZY_BUILTINS.filter((m) => m !== 'fs'))],
});
await build({
  ...cjsOptions,
  entryPoints: Object.fromEntries(LAZY_PACKAGES.map((p) => [`cjs/lazy/${p}`, `tsc-lazy:${p}`])),
  plugins: [
    { name: 'lazy-entry', setup(b) {
      b.onResolve({ filter: /^tsc-lazy:/ }, (args) => ({ path: args.path.slice('tsc-lazy:'.length), namespace: 'tsc-lazy' }));
      b.onLoad({ filter: /.*/, namespace: 'tsc-lazy' }, (args) => ({ contents: `export * from ${JSON.stringify(args.path)};`, loader: 'js', resolveDir: root }));
    } },
    lazyBuiltins(LAZY_BUILTINS.filter((m) => m !== 'fs')),
  ],
});
// esbuild escapes non-ASCII text except in regular expressions and the comments it keeps; one such
// character makes Node read the whole bundle as a two-byte string through the slow UTF-8 path (~8 ms more
// for ps.cjs). \uXXXX means the same there (a surrogate pair too: in a /u regex it is one code point).
// ASCII also lets src/cli/code-cache.ts decode the file as Latin-1. The file is then wrapped as the
// function V8 compiles (CJS_WRAPPER_HEAD/TAIL there), so that the loader need not copy it to wrap it.
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_TAIL = '\n})';
async function asciiOnly(file, { wrap = true } = {}) {
  let text = await readFile(file, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) text = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  await writeFile(file, wrap ? `${WRAPPER_HEAD}${text}${WRAPPER_TAIL}` : text);
}
for (const v of verbs) await asciiOnly(join(dist, 'cjs', `${v.key}.cjs`));
// plain CommonJS (Node's require loads them), ASCII all the same
for (const p of LAZY_PACKAGES) await asciiOnly(join(dist, 'cjs', 'lazy', `${p}.cjs`), { wrap: false });
await build({ ...cjsOptions, entryPoints: { 'cli/boot': join(src, 'cli/boot.ts') }, plugins: [keepMetaUrlCjs] });
// The supervisor as CommonJS too, run through its own code cache by dist/supervisor/main.cjs
// (src/supervisor/boot.ts), what bin/ and the CLI start; the ESM bundle above stays for a tsc rebuild.
await build({
  ...cjsOptions,
  entryPoints: { 'cjs/supervisor': join(src, 'supervisor/main.ts') },
  plugins: [keepMetaUrlCjs, lazyBuiltins(SUPERVISOR_LAZY_BUILTINS)],
});
await asciiOnly(join(dist, 'cjs', 'supervisor.cjs'));
await build({
  ...cjsOptions,
  stdin: { contents: "require('./boot.ts').bootSupervisor();", resolveDir: join(src, 'supervisor'), sourcefile: 'supervisor-entry.ts', loader: 'ts' },
  outfile: join(dist, 'supervisor/main.cjs'),
  outdir: undefined,
  plugins: [keepMetaUrlCjs],
});
// written last: boot.ts uses the bundles only with the dist/cli/main.js they were built with (the
// supervisor's: with that dist/supervisor/main.js)
const mainStat = await stat(join(dist, 'cli/main.js'));
const supervisorStat = await stat(join(dist, 'supervisor/main.js'));
const manifest = {
  main: { size: mainStat.size, mtimeMs: mainStat.mtimeMs },
  supervisor: { size: supervisorStat.size, mtimeMs: supervisorStat.mtimeMs, file: 'supervisor.cjs' },
  verbs: Object.fromEntries(verbs.flatMap((v) => (v.key === 'lifecycle' ? lifecycle : [v.key]).map((name) => [name, `${v.key}.cjs`]))),
};
await writeFile(join(dist, 'cjs/manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
