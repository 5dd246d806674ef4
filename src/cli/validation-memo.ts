/**
 * The spec layer's ValidationMemo kept on disk for the CLI: compose documents the schema validator found
 * valid, one file per bucket in $TSCOMPOSE_ROOT/cache/spec (root-only, read under the code cache's trust
 * rules: our own regular file, not group/world-writable, no symlink). 256 buckets at most, each holding
 * the last valid document that fell in it; a miss only means validating again.
 */
import { join } from 'node:path';
import { memoBucket, type ValidationMemo } from '../spec/validate-memo.js';
import { codeCacheDir, readCache, writeCache } from './code-cache.js';

const fileOf = (key: string): string => `valid-${memoBucket(key)}`;

export function fileValidationMemo(dir: string): ValidationMemo {
  return {
    has(key) {
      const data = readCache(join(dir, fileOf(key)));
      return data instanceof Buffer && data.length === Buffer.byteLength(key) && data.toString() === key;
    },
    add(key) {
      try {
        writeCache(dir, fileOf(key), key);
      } catch {
        // not remembered: validated again next time
      }
    },
  };
}

/** The memo of this TSCOMPOSE_ROOT; none while the root does not exist. */
export function validationMemo(env: Record<string, string | undefined> = process.env): ValidationMemo | undefined {
  const dir = codeCacheDir(env, 'spec');
  return dir === undefined ? undefined : fileValidationMemo(dir);
}
