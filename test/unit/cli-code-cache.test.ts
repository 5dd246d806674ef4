/**
 * The V8 code cache bin/ loads the CLI's CommonJS bundles through (src/cli/code-cache.ts): used when it
 * fits, ignored (and rewritten) when stale, corrupt or not trustworthy, never a reason to fail.
 * Each load runs in a fresh Node (dist/cli/code-cache.js, from the build): within one process V8's own
 * compilation cache answers a second compile of the same source and never looks at the cached data.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheName, trusted } from '../../src/cli/code-cache.js';
import { bundleFor } from '../../src/cli/boot.js';
import { REPO } from '../helpers/stack.js';

let dir: string;
let bundle: string;
let cacheDir: string;

const source = (n: number): string =>
  `'use strict';\nconst path = require('node:path');\nfunction twice(x) { return x * 2; }\nexports.value = twice(${n});\nexports.base = path.basename(__filename);\nexports.dir = __dirname;\n`;

interface Loaded { value: number; base: string; dir: string; status: string }

/** Loads the bundle in a fresh Node; `save`: write the cache as bin/ does at exit. */
function load(save = false, cache: string | null = cacheDir): Loaded {
  const script = `import { loadCommonJs } from ${JSON.stringify(join(REPO, 'dist/cli/code-cache.js'))};
    const r = loadCommonJs(${JSON.stringify(bundle)}, ${JSON.stringify(cache)} ?? undefined);
    ${save ? 'r.save();' : ''}
    process.stdout.write(JSON.stringify({ ...r.exports, status: r.status }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Loaded;
}

const cacheFiles = (): string[] => readdirSync(cacheDir).filter((f) => !f.startsWith('.'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), `tsc-cc-${process.pid}-`));
  bundle = join(dir, 'x.cjs');
  cacheDir = join(dir, 'cache');
  writeFileSync(bundle, source(21));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadCommonJs', () => {
  it('runs the file as CommonJS, then from the cache it wrote', () => {
    expect(load(true)).toMatchObject({ value: 42, base: 'x.cjs', dir, status: 'miss' });
    expect(cacheFiles()).toEqual([cacheName(bundle, statSync(bundle))]);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir, cacheFiles()[0]!)).mode & 0o777).toBe(0o600);
    expect(load()).toMatchObject({ value: 42, status: 'hit' });
  });

  it('without a cache dir, runs the file and writes nothing', () => {
    expect(load(true, null)).toMatchObject({ value: 42, status: 'off' });
    expect(() => readdirSync(cacheDir)).toThrow();
  });

  it('a changed bundle does not see the old cache, and the old cache goes when the new one is written', () => {
    load(true);
    const old = cacheFiles();
    writeFileSync(bundle, source(50));
    const later = new Date(Date.now() + 5000);
    utimesSync(bundle, later, later);
    expect(load(true)).toMatchObject({ value: 100, status: 'miss' });
    expect(cacheFiles()).toEqual([cacheName(bundle, statSync(bundle))]);
    expect(cacheFiles()).not.toEqual(old);
    expect(load()).toMatchObject({ value: 100, status: 'hit' });
  });

  it('a corrupt cache is rejected, the file still runs, and the cache is written again', () => {
    load(true);
    const file = join(cacheDir, cacheFiles()[0]!);
    const data = readFileSync(file);
    writeFileSync(file, Buffer.alloc(data.length, 0x5a), { mode: 0o600 });
    expect(load(true)).toMatchObject({ value: 42, status: 'rejected' });
    expect(load()).toMatchObject({ value: 42, status: 'hit' });
    writeFileSync(file, 'short', { mode: 0o600 });
    expect(load()).toMatchObject({ value: 42, status: 'rejected' });
  });

  it('ignores a cache others could have written (group/world-writable)', () => {
    load(true);
    const file = join(cacheDir, cacheFiles()[0]!);
    chmodSync(file, 0o666);
    expect(load()).toMatchObject({ value: 42, status: 'untrusted' });
    chmodSync(file, 0o600);
    expect(load()).toMatchObject({ value: 42, status: 'hit' });
  });

  it('runs a file wrapped as the bundle step writes them, from its cache too', () => {
    writeFileSync(bundle, `(function (exports, require, module, __filename, __dirname) {${source(8)}\n})`);
    expect(load(true)).toMatchObject({ value: 16, base: 'x.cjs', dir, status: 'miss' });
    expect(load()).toMatchObject({ value: 16, status: 'hit' });
  });

  it('decodes a file that is not ASCII as UTF-8', () => {
    writeFileSync(bundle, `${source(1)}exports.base = 'caf\u00e9 \u2713 \u{1F600}';\n`);
    expect(load(true)).toMatchObject({ value: 2, base: 'caf\u00e9 \u2713 \u{1F600}', status: 'miss' });
  });

  it('a cache dir it cannot write to only means no cache', () => {
    writeFileSync(cacheDir, 'not a directory');
    expect(load(true)).toMatchObject({ value: 42, status: 'miss' });
    expect(load(true)).toMatchObject({ value: 42, status: 'miss' });
  });
});

describe('trusted', () => {
  const st = (uid: number, mode: number, file = true) => ({ uid, mode, isFile: () => file });
  it('only our own regular files that only we can write', () => {
    expect(trusted(st(0, 0o100600), 0)).toBe(true);
    expect(trusted(st(0, 0o100644), 0)).toBe(true);
    expect(trusted(st(1000, 0o100600), 0)).toBe(false);
    expect(trusted(st(0, 0o100620), 0)).toBe(false);
    expect(trusted(st(0, 0o100602), 0)).toBe(false);
    expect(trusted(st(0, 0o40700, false), 0)).toBe(false);
  });
});

describe('bundleFor (which CommonJS bundle bin/ runs)', () => {
  const manifest = { main: { size: 1, mtimeMs: 1 }, verbs: { ps: 'ps.cjs', stop: 'lifecycle.cjs' } };
  it('the verb\'s bundle; none for --help, no verb or a verb without one', () => {
    expect(bundleFor(['-p', 'x', 'ps', '-a'], manifest, '/d')).toBe('/d/cjs/ps.cjs');
    expect(bundleFor(['stop', 'web'], manifest, '/d')).toBe('/d/cjs/lifecycle.cjs');
    expect(bundleFor(['ps', '--help'], manifest, '/d')).toBeUndefined();
    expect(bundleFor(['-f', 'ps', 'frob'], manifest, '/d')).toBeUndefined();
    expect(bundleFor(['toString'], manifest, '/d')).toBeUndefined();
    expect(bundleFor([], manifest, '/d')).toBeUndefined();
  });
});
