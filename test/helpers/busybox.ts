/**
 * A busybox root filesystem built from Debian's busybox-static (installed by .ci/run), cached per machine.
 * The rootfs is read-only input for tests: tests put an overlay on top or copy it; they never write into it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const BUSYBOX_BIN = '/bin/busybox';

export function busyboxAvailable(): boolean {
  return existsSync(BUSYBOX_BIN);
}

/** Build (once) and return the path of a busybox rootfs directory. */
export function busyboxRootfs(): string {
  const cacheDir = join(process.env.TSCOMPOSE_TEST_CACHE ?? join(tmpdir(), 'tscompose-test-cache'));
  const root = join(cacheDir, 'busybox-rootfs');
  if (existsSync(join(root, '.complete'))) return root;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${root}.tmp-${process.pid}-${Date.now()}`;
  rmSync(tmp, { recursive: true, force: true });
  buildRootfs(tmp);
  writeFileSync(join(tmp, '.complete'), '');
  try {
    renameSync(tmp, root);
  } catch {
    // another test process won the race; use theirs
    rmSync(tmp, { recursive: true, force: true });
  }
  return root;
}

function buildRootfs(dir: string): void {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'var/www', 'home', 'run']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX_BIN, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX_BIN, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a === 'bin/busybox') continue;
    const p = join(dir, a);
    mkdirSync(dirname(p), { recursive: true });
    if (!existsSync(p)) symlinkSync('/bin/busybox', p);
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nwww:x:33:33:www:/var/www:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nwww:x:33:\nusers:x:100:www\nnogroup:x:65534:\n');
  writeFileSync(join(dir, 'var/www/index.html'), 'hello from busybox\n');
}
