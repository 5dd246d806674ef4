/**
 * `cp` arguments as Docker splits them: `SERVICE:PATH` names a container path, anything else (an absolute
 * path, or one starting with ".", or without a colon) is a local path. Pure.
 */
import { TscError } from '../errors.js';

export interface CopyEnd {
  /** Undefined: the local filesystem. */
  service?: string;
  path: string;
}

export interface CopyRequest {
  src: CopyEnd;
  dst: CopyEnd;
  direction: 'from-container' | 'to-container';
}

/** As Docker's splitCpArg: "/a:b" and "./a:b" are local paths, "web:/a" is service web's /a. */
export function splitCopyArg(arg: string): CopyEnd {
  if (arg.startsWith('/')) return { path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { path: arg };
  return { service: arg.slice(0, i), path: arg.slice(i + 1) };
}

export function parseCopyArgs(source: string, dest: string): CopyRequest {
  const src = splitCopyArg(source);
  const dst = splitCopyArg(dest);
  if (src.service !== undefined && dst.service !== undefined) throw new TscError('USAGE', 'copying between services is not supported');
  if (src.service === undefined && dst.service === undefined) throw new TscError('USAGE', 'unknown copy direction: one of SRC_PATH and DEST_PATH must be SERVICE:PATH');
  for (const e of [src, dst]) {
    if (e.service === '') throw new TscError('USAGE', `invalid service in "${e === src ? source : dest}"`);
    if (e.path === '') throw new TscError('USAGE', 'source and destination paths must not be empty');
  }
  return { src, dst, direction: src.service !== undefined ? 'from-container' : 'to-container' };
}

/** What the path's spelling asks for (Docker's rules): "dir/." copies a directory's contents; "x/" must be a directory. */
export interface PathIntent {
  contentsOnly: boolean;
  mustBeDir: boolean;
  /** The name a copy into a directory gets (the source's last component as written). */
  base: string;
}

export function pathIntent(p: string): PathIntent {
  const contentsOnly = p === '.' || p.endsWith('/.');
  const mustBeDir = contentsOnly || p.endsWith('/');
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  return { contentsOnly, mustBeDir, base: parts.at(-1) ?? '' };
}
