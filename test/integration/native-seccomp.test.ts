/**
 * linux.seccomp: Docker's default profile (src/runtime/seccomp-profile.ts) loaded by tsc-runtime. Syscalls it
 * blocks fail with EPERM (keyctl always; unshare and namespace flags of clone without CAP_SYS_ADMIN), while a
 * normal workload runs; without the section (seccomp=unconfined) the same calls go through. Also in `exec`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerDefaultSeccomp } from '../../src/runtime/seccomp-profile.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { DOCKER_CAPS, RUNTIME, Scratch } from '../helpers/oci-bundle.js';
import { eventually } from '../helpers/eventually.js';

// keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1) and socket(AF_INET): prints "<ret> <errno>" each
const PROBE_C = `
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  long k = syscall(SYS_keyctl, 0, -3, 1);
  printf("keyctl %ld %d\\n", k < 0 ? -1L : 0L, k < 0 ? errno : 0);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  printf("socket %d %d\\n", s < 0 ? -1 : 0, s < 0 ? errno : 0);
  return 0;
}
`;

let s: Scratch;
let probeLayer: string;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('seccomp');
  probeLayer = join(s.base, 'probe-layer');
  mkdirSync(join(probeLayer, 'usr/local/bin'), { recursive: true });
  writeFileSync(join(s.base, 'probe.c'), PROBE_C);
  const cc = spawnSync('gcc', ['-static', '-O1', '-o', join(probeLayer, 'usr/local/bin/probe'), join(s.base, 'probe.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc: ${cc.stderr}`);
});
afterAll(() => s?.cleanup());

const SCRIPT = 'probe; unshare -U true 2>/dev/null && echo unshare-ok || echo unshare-denied; echo $((6*7)); ls /bin/busybox';

function run(name: string, seccomp: unknown, noNewPrivileges = false): { status: number | null; out: string; err: string } {
  const id = s.id(name);
  const b = s.bundle(id, { args: ['sh', '-c', SCRIPT], extraLowers: [probeLayer], seccomp, noNewPrivileges });
  const r = s.rt(['run', '--rm', '--bundle', b.dir, id]);
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('tsc-runtime linux.seccomp', () => {
  it('Docker\'s default profile: blocked syscalls fail with EPERM, a normal workload runs', () => {
    const r = run('default', dockerDefaultSeccomp(DOCKER_CAPS));
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['keyctl -1 1', 'socket 0 0', 'unshare-denied', '42', '/bin/busybox']);
  });

  it('applies the profile with no_new_privs too (loaded after the privileges are dropped)', () => {
    const r = run('nnp', dockerDefaultSeccomp(DOCKER_CAPS), true);
    expect(r.status).toBe(0);
    expect(r.out.trim().split('\n')[0]).toBe('keyctl -1 1');
  });

  it('without a seccomp section (seccomp=unconfined) the same syscalls go through', () => {
    const r = run('unconfined', undefined);
    expect(r.status).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('keyctl 0 0');
    expect(lines[3]).toBe('42');
  });

  it('reports the filter in /proc/self/status and filters processes started by exec', async () => {
    const id = s.id('exec');
    const b = s.bundle(id, { args: ['sleep', '300'], extraLowers: [probeLayer], seccomp: dockerDefaultSeccomp(DOCKER_CAPS) });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    await eventually(() => expect(s.state(id).status).toBe('running'));
    const st = s.rt(['exec', id, '--', 'grep', '^Seccomp:', '/proc/1/status']);
    expect(st.stdout.trim()).toBe('Seccomp:\t2');
    const r = s.rt(['exec', id, '--', 'probe']);
    expect(r.stdout.split('\n')[0]).toBe('keyctl -1 1');
    s.ok(['delete', '--force', id]);
  });

  it('caches the compiled program per profile and never trusts a cache entry made from another profile', () => {
    const dir = join(s.base, 'seccomp-cache'); // beside the state root (s.base/state), not inside it
    const files = readdirSync(dir).filter((f) => f.endsWith('.bpf'));
    expect(files.length).toBeGreaterThan(0);
    // an entry whose recorded profile differs (or is garbage) is rebuilt, not loaded
    for (const f of files) writeFileSync(join(dir, f), Buffer.alloc(64, 0x41));
    const r = run('recache', dockerDefaultSeccomp(DOCKER_CAPS));
    expect(r.status).toBe(0);
    expect(r.out.trim().split('\n')[0]).toBe('keyctl -1 1');
  });

  it('parallel creates on an empty cache all get the filter; the profile is cached once', async () => {
    const cache = join(s.base, 'cold-cache');
    const env = { ...process.env, TSC_SECCOMP_CACHE: cache };
    const ids = [1, 2, 3, 4].map((i) => s.id(`cold${i}`));
    const runs = ids.map((id) => {
      const b = s.bundle(id, { args: ['sh', '-c', SCRIPT], extraLowers: [probeLayer], seccomp: dockerDefaultSeccomp(DOCKER_CAPS) });
      return new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(RUNTIME, ['--root', s.root, 'run', '--rm', '--bundle', b.dir, id], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.on('close', (code) => resolve({ code, out }));
      });
    });
    for (const r of await Promise.all(runs)) {
      expect(r.code).toBe(0);
      expect(r.out.trim().split('\n')[0]).toBe('keyctl -1 1');
    }
    expect(readdirSync(cache).filter((f) => f.endsWith('.bpf'))).toHaveLength(1);
  });

  it('a malformed profile fails create with a message', () => {
    const id = s.id('bad');
    const b = s.bundle(id, { args: ['true'], seccomp: { defaultAction: 'SCMP_ACT_NOPE', syscalls: [] } });
    const r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/seccomp.*SCMP_ACT_NOPE/);
  });
});
