/**
 * The one koffi handle on the C library that src/sys/* binds functions from. koffi (and libc through it) is
 * loaded on first use only: 15-35 ms of blocking work that verbs which never call into libc do not pay.
 */
import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');

let handle: { koffi: Koffi; lib: ReturnType<Koffi['load']> } | undefined;

export function koffiLibc(): { koffi: Koffi; lib: ReturnType<Koffi['load']> } {
  if (handle) return handle;
  const require = createRequire(import.meta.url);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as Koffi;
  handle = { koffi, lib: koffi.load('libc.so.6') };
  return handle;
}
