/**
 * A busybox image in a given store, for any area's tests: imports test/helpers/busybox.ts's rootfs
 * (Cmd ["sh"]) as NAME (default docker.io/library/busybox:latest) and returns the LocalImage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalImage } from '../../src/image/api.js';
import { importRootfs } from '../../src/image/import.js';
import type { ImageStore } from '../../src/image/store.js';
import { busyboxRootfs } from './busybox.js';
import { tarDir } from './image-tar.js';

export async function importBusybox(store: ImageStore, ref = 'busybox:latest'): Promise<LocalImage> {
  const work = mkdtempSync(join(tmpdir(), 'tsc-bbimg-'));
  try {
    const tar = tarDir(busyboxRootfs(), join(work, 'rootfs.tar'));
    return await importRootfs(store, tar, ref, { changes: { cmd: ['sh'] } });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
