/**
 * Runs a CommonJS bundle through vm.Script with a V8 code cache (Node 20 has no module compile cache):
 * the next start skips parsing and compiling what the last run compiled, commander and the verb's code.
 *
 * The cache is code, so it is read only when it can only have been written by this user: a regular file
 * owned by our uid, not writable by group or others, opened without following a symlink. Its name holds
 * the bundle's size, mtime and inode and Node's version, so a rebuilt bundle or another Node never sees
 * an old file (V8 checks its own version, flags and source length again and rejects what does not fit).
 * It is written atomically (a temporary file renamed over), and any failure only means no cache.
 */
import { isAscii } from 'node:buffer';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { defaultPaths } from '../state/paths.js';

/**
 * Root-only, as the state it sits in: $TSCOMPOSE_ROOT/cache/KIND (cli: the CLI's verbs, supervisor: the
 * supervisor's bundle, spec: compose documents found valid); none while the root does not exist yet.
 */
export function codeCacheDir(env: Record<string, string | undefined> = process.env, kind: 'cli' | 'supervisor' | 'spec' = 'cli'): string | undefined {
  const { root } = defaultPaths(env);
  try {
    return statSync(root).isDirectory() ? join(root, 'cache', kind) : undefined;
  } catch {
    return undefined;
  }
}

/** hit: compiled from the cache; miss: none (or stale); rejected: V8 refused it; off: no cache dir. */
export type CacheStatus = 'hit' | 'miss' | 'rejected' | 'untrusted' | 'off';

export interface LoadedBundle {
  exports: unknown;
  status: CacheStatus;
  /** Writes the cache from what has been compiled so far (call it late: at exit); never throws. */
  save(): void;
}

/** The cache file's name for a bundle in this state: any change to the bundle or Node gives a new name. */
export function cacheName(file: string, st: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>): string {
  return `${basename(file)}-${st.size}-${st.mtimeMs}-${st.ino}-${process.version}-${process.arch}.v8`;
}

/** Only our own, not group/world-writable, regular files are trusted as code. */
export function trusted(st: Pick<Stats, 'uid' | 'mode' | 'isFile'>, uid: number): boolean {
  return st.isFile() && st.uid === uid && (st.mode & 0o022) === 0;
}

/** A cache file's bytes if it is ours and trusted (see `trusted`), 'untrusted', or undefined (none). */
export function readCache(path: string): Buffer | 'untrusted' | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (!trusted(fstatSync(fd), process.getuid?.() ?? -1)) return 'untrusted';
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes `dir/name` atomically (0600, `dir` made 0700); throws on failure. */
export function writeCache(dir: string, name: string, data: Buffer | string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, join(dir, name));
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* not there */ }
    throw e;
  }
}

/**
 * Caches of an earlier build of this bundle would never be read again: those older than the bundle go
 * (a cache another copy of tscompose wrote since its own build may go too; it is written again once).
 */
function removeOlder(dir: string, name: string, bundleMtimeMs: number): void {
  const prefix = name.slice(0, name.indexOf('-') + 1);
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(prefix) || f === name) continue;
    const path = join(dir, f);
    if (statSync(path).mtimeMs < bundleMtimeMs) unlinkSync(path);
  }
}

/**
 * How the bundles are wrapped (scripts/bundle-cli.mjs writes them so, the file being then the very source
 * V8 compiles: no copy of ~0.5 MB to prepend this); other files get it added here.
 */
export const CJS_WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';
export const CJS_WRAPPER_TAIL = '\n})';

/**
 * The file's text. The bundles are ASCII (the bundle step escapes the rest), which is decoded as Latin-1:
 * the same string, made without the UTF-8 decoder (a few ms for a bundle on these hosts).
 */
function readSource(file: string): string {
  const bytes = readFileSync(file);
  const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  return text.startsWith(CJS_WRAPPER_HEAD) && text.endsWith(CJS_WRAPPER_TAIL) ? text : `${CJS_WRAPPER_HEAD}${text}${CJS_WRAPPER_TAIL}`;
}

/**
 * Loads `file` as CommonJS (its own require, module, __filename, __dirname), with the code cache in
 * `cacheDir` (none when undefined). The file may be wrapped in CJS_WRAPPER_HEAD/TAIL already.
 */
export function loadCommonJs(file: string, cacheDir: string | undefined): LoadedBundle {
  const source = readSource(file);
  let name: string | undefined;
  let bundleMtimeMs = 0;
  let cached: Buffer | 'untrusted' | undefined;
  if (cacheDir !== undefined) {
    try {
      const st = statSync(file);
      bundleMtimeMs = st.mtimeMs;
      name = cacheName(file, st);
      cached = readCache(join(cacheDir, name));
    } catch {
      name = undefined;
    }
  }
  const script = new Script(source, {
    filename: file,
    ...(cached instanceof Buffer ? { cachedData: cached } : {}),
  });
  const status: CacheStatus = name === undefined ? 'off'
    : cached === 'untrusted' ? 'untrusted'
      : cached === undefined ? 'miss'
        : script.cachedDataRejected === true ? 'rejected' : 'hit';
  const mod = { exports: {} as unknown };
  const fn = script.runInThisContext() as (e: unknown, r: NodeRequire, m: { exports: unknown }, f: string, d: string) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  let saved = false;
  const save = (): void => {
    if (saved || name === undefined || status === 'hit') return;
    saved = true;
    try {
      writeCache(cacheDir!, name, script.createCachedData());
      removeOlder(cacheDir!, name, bundleMtimeMs);
    } catch { /* no cache this time, or old ones left */ }
  };
  return { exports: mod.exports, status, save };
}
