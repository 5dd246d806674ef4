/**
 * tsc-runtime escape tests: the runtime binary cannot be written through /proc/PID/exe (CVE-2019-5736), no host
 * fd reaches PID 1 (CVE-2024-21626), a magic-link cwd is refused, and mounts through symlinks planted in the
 * image stay inside the rootfs (CVE-2021-30465).
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { readLog, RUNTIME, Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
let layer: string;
let hostTarget: string;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('esc');
  // an image layer with planted symlinks and a "#!/proc/self/exe" script
  layer = join(s.base, 'evil-layer');
  hostTarget = join(s.base, 'host-target');
  mkdirSync(layer, { recursive: true });
  mkdirSync(hostTarget, { recursive: true });
  symlinkSync(hostTarget, join(layer, 'abs-link'));
  symlinkSync('/etc', join(layer, 'etc-link'));
  symlinkSync('../../../../../../../../../../tmp', join(layer, 'climb-link'));
  writeFileSync(join(layer, 'evil'), '#!/proc/self/exe\n');
  chmodSync(join(layer, 'evil'), 0o755);
});
afterAll(() => s?.cleanup());

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function stopped(id: string): Promise<Record<string, unknown>> {
  return eventually(() => {
    const v = s.state(id);
    return v.status === 'stopped' ? v : undefined;
  });
}

describe('tsc-runtime escapes', () => {
  it('the runtime binary cannot be opened for writing from inside (CVE-2019-5736)', async () => {
    const before = sha(RUNTIME);
    const id = s.id('exe');
    const log = join(s.base, `${id}.log`);
    const b = s.bundle(id, { args: ['sleep', '1000'], init: true });
    s.ok(['run', '--detach', '--log-path', log, '--bundle', b.dir, id]);
    // PID 1 is the built-in init: a sealed memfd copy, not the host file
    const pid = s.state(id).pid as number;
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:tsc-runtime/);
    const out = s.ok(['exec', id, '--', 'sh', '-c', 'for p in /proc/[0-9]*; do (echo x >> $p/exe) 2>/dev/null && echo WROTE $p; done; echo done']);
    expect(out).toBe('done\n');
    s.ok(['delete', '--force', id]);

    // a "#!/proc/self/exe" entrypoint re-enters the runtime, but its sealed copy: the host file stays intact
    const id2 = s.id('shebang');
    const log2 = join(s.base, `${id2}.log`);
    const b2 = s.bundle(id2, { args: ['/evil'], extraLowers: [layer] });
    s.ok(['run', '--detach', '--log-path', log2, '--bundle', b2.dir, id2]);
    const st = await stopped(id2);
    expect(st.exitCode).toBe(2);
    expect(readLog(log2).map((l) => l.text).join('\n')).toContain('tsc-runtime:');
    expect(sha(RUNTIME)).toBe(before);
    s.ok(['delete', id2]);
  });

  it('no host fd reaches PID 1: only 0, 1, 2 (CVE-2024-21626)', async () => {
    for (const init of [false, true]) {
      const id = s.id(init ? 'fdinit' : 'fd');
      const log = join(s.base, `${id}.log`);
      const b = s.bundle(id, { args: ['sleep', '1000'], init });
      s.ok(['run', '--detach', '--log-path', log, '--bundle', b.dir, id]);
      const pid = s.state(id).pid as number;
      await eventually(() => readlinkSync(`/proc/${pid}/exe`).length > 0);
      const fds = readdirSync(`/proc/${pid}/fd`).sort();
      expect(fds).toEqual(['0', '1', '2']);
      for (const fd of fds) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toMatch(/^(\/dev\/null|pipe:\[\d+\])$/);
      // and what the workload itself sees
      const seen = s.ok(['exec', id, '--', 'sh', '-c', 'ls /proc/self/fd']).trim().split(/\s+/).sort();
      expect(seen.filter((f) => Number(f) > 3)).toEqual([]);
      s.ok(['delete', '--force', id]);
    }
  });

  it('refuses a cwd through /proc/self/fd (magic link)', () => {
    const id = s.id('cwd');
    const b = s.bundle(id, { args: ['pwd'], cwd: '/proc/self/fd/5' });
    const r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('tsc-runtime: create: invalid cwd /proc/self/fd/5');
  });

  it('a bind mount through a planted symlink stays inside the rootfs (CVE-2021-30465)', () => {
    const src = join(s.base, 'bind-src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'marker'), 'bound\n');
    const hostEtcBefore = readdirSync('/etc').sort();
    const id = s.id('symlink');
    const b = s.bundle(id, {
      extraLowers: [layer],
      args: ['sh', '-c', 'cat /etc/marker; cat /tmp/climb/marker'],
      mounts: [
        { destination: '/etc-link', type: 'bind', source: src, options: ['rbind', 'ro'] },
        { destination: '/climb-link/climb', type: 'bind', source: src, options: ['rbind', 'ro'] },
      ],
    });
    const r = s.rt(['run', '--rm', '--bundle', b.dir, id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('bound\nbound\n');
    // nothing happened to the host's /etc
    expect(readdirSync('/etc').sort()).toEqual(hostEtcBefore);
    expect(existsSync('/etc/marker')).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/ \/etc /);
    // the missing target was made inside the rootfs (upper dir), never on the host
    expect(existsSync(join(b.upper, 'tmp', 'climb'))).toBe(true);
    expect(existsSync('/tmp/climb')).toBe(false);
  });

  it('a mount target pointing to an absolute host path fails or stays inside', () => {
    const src = join(s.base, 'bind-src2');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'marker'), 'bound\n');
    const id = s.id('abslink');
    const b = s.bundle(id, {
      extraLowers: [layer],
      args: ['sh', '-c', `cat ${hostTarget}/marker`],
      mounts: [{ destination: '/abs-link', type: 'bind', source: src, options: ['rbind'] }],
    });
    const r = s.rt(['run', '--rm', '--bundle', b.dir, id]);
    if (r.status === 0) expect(r.stdout).toBe('bound\n');
    else expect(r.stderr).toMatch(/^tsc-runtime: run: /);
    // the host directory the link names was never touched
    expect(readdirSync(hostTarget)).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(hostTarget);
  });
});
