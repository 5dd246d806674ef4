/**
 * `tsc-runtime sealed-exec FD PROG...`: a long-lived parent (the supervisor's spawner shell) holds one sealed
 * copy of the runtime and starts it as /proc/self/fd/FD, so a create does not copy and re-exec the binary
 * each time. What the copy must keep: PID 1, the init and exec show a sealed memfd (CVE-2019-5736), the held
 * fd never reaches the container (CVE-2024-21626), and the host binary stays intact.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { RUNTIME, Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('sealx');
});
afterAll(() => s?.cleanup());

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** A shell started by sealed-exec runs `script` (with $R = the held copy). */
function sealedSh(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(RUNTIME, ['sealed-exec', '9', '/bin/sh', '-c', script], {
    encoding: 'utf8',
    env: { ...process.env, R: '/proc/self/fd/9', ROOT: s.root },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tsc-runtime sealed-exec', () => {
  it('holds a sealed copy at FD for the program it runs; bad arguments are usage errors', () => {
    const r = sealedSh('readlink /proc/$$/fd/9; "$R" --version');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\/memfd:tsc-runtime.*\ntsc-runtime /);
    expect(spawnSync(RUNTIME, ['sealed-exec', '2', '/bin/true']).status).toBe(2);
    expect(spawnSync(RUNTIME, ['sealed-exec', '9']).status).toBe(2);
    const missing = spawnSync(RUNTIME, ['sealed-exec', '9', '/nonexistent/prog'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/sealed-exec: exec \/nonexistent\/prog/);
  });

  it('containers started from the copy: sealed exe, no inherited fd in PID 1 or exec, host binary intact', async () => {
    const before = sha(RUNTIME);
    for (const init of [false, true]) {
      const id = s.id(init ? 'init' : 'plain');
      const log = join(s.base, `${id}.log`);
      const b = s.bundle(id, { args: ['sleep', '1000'], init });
      const r = sealedSh(`"$R" --root "$ROOT" run --detach --log-path ${log} --bundle ${b.dir} ${id}`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const st = s.state(id);
      const pid = st.pid as number;
      await eventually(() => readlinkSync(`/proc/${pid}/exe`).length > 0);
      if (init) expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:tsc-runtime/);
      expect(readlinkSync(`/proc/${st.shimPid as number}/exe`)).toMatch(/^\/memfd:tsc-runtime/);
      expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
      const seen = sealedSh(`"$R" --root "$ROOT" exec ${id} -- sh -c 'ls /proc/self/fd'`);
      expect(seen.status).toBe(0);
      // beyond stdio only ls's own directory fd (3), never the held copy (9)
      expect(seen.stdout.trim().split(/\s+/).filter((f) => Number(f) > 3)).toEqual([]);
      s.ok(['delete', '--force', id]);
    }
    expect(sha(RUNTIME)).toBe(before);
  });
});
