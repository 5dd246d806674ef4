/**
 * tsc-runtime built-in init (org.tscompose.init=true) and exec: zombies reaped, signals forwarded, exec inside
 * the container's namespaces and cgroup, exit codes, user/env/cwd, a pty for -t.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('init');
});
afterAll(() => s?.cleanup());

const ZOMBIE_MAKER = ['sh', '-c', '(sleep 0.2 &); (sleep 0.2 &); exec sleep 1000'];

function zombies(id: string): number {
  const out = s.ok(['exec', id, '--', 'ps', '-o', 'stat']);
  return out.split('\n').filter((l) => l.trim().startsWith('Z')).length;
}

describe('tsc-runtime init', () => {
  it('without init, orphans of PID 1 stay zombies (the case init exists for)', async () => {
    const id = s.id('noinit');
    const b = s.bundle(id, { args: ZOMBIE_MAKER });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    await eventually(() => zombies(id) === 2, { what: 'two zombies' });
    s.ok(['delete', '--force', id]);
  });

  it('with init, no zombie is left and PID 1 is the sealed runtime copy', async () => {
    const id = s.id('init');
    const b = s.bundle(id, { args: ZOMBIE_MAKER, init: true });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    // both sleeps ended (only init, the main sleep and ps are left), none of them a zombie
    await eventually(() => {
      const out = s.ok(['exec', id, '--', 'ps', '-o', 'pid,stat,comm']).trim().split('\n').slice(1);
      return out.length === 3 && zombies(id) === 0;
    }, { what: 'reaped' });
    expect(readlinkSync(`/proc/${s.state(id).pid as number}/exe`)).toMatch(/^\/memfd:tsc-runtime/);
    s.ok(['delete', '--force', id]);
  });

  it('with init, TERM reaches the workload and init exits with its status (143)', async () => {
    const id = s.id('initterm');
    const b = s.bundle(id, { args: ['sleep', '1000'], init: true });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    await eventually(() => s.ok(['exec', id, '--', 'ps', '-o', 'comm']).includes('sleep'));
    s.ok(['kill', id, 'TERM']);
    const st = await eventually(() => {
      const v = s.state(id);
      return v.status === 'stopped' ? v : undefined;
    });
    expect(st.exitCode).toBe(143);
    s.ok(['delete', id]);
  });
});

describe('tsc-runtime exec', () => {
  it('runs inside the container\'s namespaces and cgroup, with its exit code', async () => {
    const id = s.id('exec');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, { args: ['sleep', '1000'], hostname: 'exec-box', cgroupsPath: cg });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    const pid = s.state(id).pid as number;
    const out = s.ok(['exec', id, '--', 'sh', '-c', 'hostname; for n in pid net mnt uts ipc cgroup; do readlink /proc/self/ns/$n; done; echo $$']);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('exec-box');
    const nsNames = ['pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup'];
    nsNames.forEach((n, i) => expect(lines[i + 1]).toBe(readlinkSync(`/proc/${pid}/ns/${n}`)));
    expect(Number(lines[7])).toBeGreaterThan(1);
    expect(s.rt(['exec', id, '--', 'sh', '-c', 'exit 7']).status).toBe(7);
    const nf = s.rt(['exec', id, '--', 'no-such-thing']);
    expect(nf.status).toBe(127);
    expect(nf.stderr).toContain('executable file not found in $PATH');
    // a detached exec lands in the container's cgroup
    const epid = Number(s.ok(['exec', '--detach', id, '--', 'sleep', '1000']).trim());
    expect(readFileSync(`/proc/${epid}/cgroup`, 'utf8')).toContain(`:memory:/${cg}\n`);
    s.ok(['delete', '--force', id]);
    await eventually(() => {
      try {
        readFileSync(`/proc/${epid}/stat`);
        return false;
      } catch {
        return true;
      }
    }, { what: 'exec process gone' });
  });

  it('takes --user, --env and --cwd, and refuses an unknown user', () => {
    const id = s.id('execuser');
    const b = s.bundle(id, { args: ['sleep', '1000'], env: ['PATH=/bin:/usr/bin', 'A=from-config'] });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    const out = s.ok(['exec', '--user', 'www', '--env', 'B=from-exec', '--cwd', '/var/www', id, '--', 'sh', '-c', 'id -u; id -g; echo $A $B; pwd; echo $HOME']);
    expect(out.split('\n').slice(0, 5)).toEqual(['33', '33', 'from-config from-exec', '/var/www', '/var/www']);
    const n = s.ok(['exec', '--user', '1234:5678', id, '--', 'sh', '-c', 'id -u; id -g']);
    expect(n).toBe('1234\n5678\n');
    const bad = s.rt(['exec', '--user', 'nobody-here', id, '--', 'true']);
    expect(bad.status).toBe(126); // as docker exec: the process could not be set up
    expect(bad.stderr).toContain('invalid user nobody-here');
    s.ok(['delete', '--force', id]);
  });

  it('-t gives the process a terminal from the container\'s devpts', () => {
    const id = s.id('exectty');
    const b = s.bundle(id, { args: ['sleep', '1000'] });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    const r = s.rt(['exec', '-t', id, '--', 'sh', '-c', 'tty; test -t 1 && echo is-a-tty; exit 5']);
    expect(r.status).toBe(5);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r?\n/);
    expect(r.stdout).toContain('is-a-tty');
    s.ok(['delete', '--force', id]);
  });
});
