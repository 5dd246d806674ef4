/**
 * tsc-runtime lifecycle on real namespaces, overlays and cgroups (root): PID 1, isolation, overlay upper,
 * exit codes and signals, CRI log, clear errors, nothing left after delete.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, mkdirSync, writeFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { readLog, RUNTIME, Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('life');
});
afterAll(() => s?.cleanup());

function runFg(id: string, bundle: string, extra: string[] = []) {
  return s.rt(['run', ...extra, '--bundle', bundle, id]);
}

describe('tsc-runtime lifecycle', () => {
  it('runs the command as PID 1 with its own hostname, processes and mounts', () => {
    const id = s.id('pid1');
    const b = s.bundle(id, {
      hostname: 'box-one',
      args: ['sh', '-c', 'echo pid=$$; hostname; ps -o pid= | wc -l; cat /proc/self/mountinfo'],
    });
    const r = runFg(id, b.dir, ['--rm']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('pid=1');
    expect(lines[1]).toBe('box-one');
    // sh, ps and wc only: no host process is visible
    expect(Number(lines[2]!.trim())).toBeLessThanOrEqual(3);
    const mounts = lines.slice(3).filter(Boolean);
    expect(mounts[0]).toMatch(/ \/ .* - overlay /);
    expect(mounts.some((m) => m.includes(' /proc '))).toBe(true);
    // host mounts do not leak in: no host root path appears as a mount point
    expect(mounts.some((m) => m.split(' ')[4]!.startsWith(s.base))).toBe(false);
    expect(existsSync(join(s.root, id))).toBe(false);
  });

  it('writes land in the upper dir and the image layer stays untouched', () => {
    const id = s.id('upper');
    const b = s.bundle(id, { args: ['sh', '-c', 'echo data > /written.txt; rm /bin/vi; echo ok'] });
    const r = runFg(id, b.dir, ['--rm']);
    expect(r.status).toBe(0);
    expect(readFileSync(join(b.upper, 'written.txt'), 'utf8')).toBe('data\n');
    expect(existsSync(join(busyboxRootfs(), 'written.txt'))).toBe(false);
    expect(existsSync(join(busyboxRootfs(), 'bin', 'vi'))).toBe(true);
    // the overlay was in the container's own mount namespace: nothing is mounted on the host
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(b.rootfs);
  });

  it('a volatile overlay (opt-in annotation) can be mounted again on the same upper/work', () => {
    const id = s.id('volatile');
    const b = s.bundle(id, { args: ['sh', '-c', 'echo v >> /count; wc -l < /count; grep -c volatile /proc/self/mountinfo'] });
    const cfg = b.config as { annotations: Record<string, string> };
    cfg.annotations['org.tscompose.rootfs.volatile'] = 'true';
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(cfg));
    const first = runFg(id, b.dir, ['--rm']);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('1\n1\n');
    const again = runFg(id, b.dir, ['--rm']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('2\n1\n');
    expect(readFileSync(join(b.upper, 'count'), 'utf8')).toBe('v\nv\n');
  });

  it('create/start/state/delete with a CRI log and exit.json', async () => {
    const id = s.id('cycle');
    const log = join(s.base, `${id}.log`);
    const b = s.bundle(id, { args: ['sh', '-c', 'echo out-line; echo err-line >&2; printf tail; read x; exit 3'] });
    s.ok(['create', '--bundle', b.dir, '--log-path', log, id]);
    const created = s.state(id);
    expect(created.status).toBe('created');
    expect(created.id).toBe(id);
    expect(typeof created.pid).toBe('number');
    expect(created.shimPid).not.toBe(created.pid);
    expect(readLog(log)).toEqual([]);
    s.ok(['start', id]);
    expect(['running', 'stopped']).toContain(s.state(id).status);
    const st = await eventually(() => {
      const v = s.state(id);
      return v.status === 'stopped' ? v : undefined;
    }, { what: 'container stopped' });
    expect(st.exitCode).toBe(3);
    expect(st.signal).toBeNull();
    expect(st.oomKilled).toBe(false);
    const exit = JSON.parse(readFileSync(join(s.root, id, 'exit.json'), 'utf8'));
    expect(exit.exitCode).toBe(3);
    const lines = readLog(log);
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stdout', tag: 'F', text: 'out-line' }));
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stderr', tag: 'F', text: 'err-line' }));
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stdout', text: 'tail' }));
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    s.ok(['delete', id]);
    expect(s.rt(['state', id]).status).toBe(1);
  });

  it('reports exit codes and signals: kill -9 -> 137, TERM with a trap -> 143', async () => {
    const killed = s.id('kill9');
    const b1 = s.bundle(killed, { args: ['sleep', '1000'] });
    s.ok(['run', '--detach', '--bundle', b1.dir, killed]);
    expect(s.state(killed).status).toBe('running');
    // PID 1 without a handler ignores TERM
    s.ok(['kill', killed, 'TERM']);
    s.ok(['kill', killed, 'KILL']);
    const st1 = await eventually(() => {
      const v = s.state(killed);
      return v.status === 'stopped' ? v : undefined;
    });
    expect(st1.exitCode).toBe(137);
    expect(st1.signal).toBe('SIGKILL');

    const trapped = s.id('term');
    const b2 = s.bundle(trapped, { args: ['sh', '-c', 'trap "exit 143" TERM; echo ready; while true; do sleep 0.1; done'] });
    const log = join(s.base, `${trapped}.log`);
    s.ok(['run', '--detach', '--log-path', log, '--bundle', b2.dir, trapped]);
    await eventually(() => readLog(log).some((l) => l.text === 'ready'));
    s.ok(['kill', trapped, 'SIGTERM']);
    const st2 = await eventually(() => {
      const v = s.state(trapped);
      return v.status === 'stopped' ? v : undefined;
    });
    expect(st2.exitCode).toBe(143);
    s.ok(['delete', killed]);
    s.ok(['delete', trapped]);
  });

  it('command not found: the create fails in runc\'s words, a foreground run exits 127 (126: not executable)', () => {
    const id = s.id('noexec');
    const b = s.bundle(id, { args: ['no-such-command', 'x'] });
    const r = s.rt(['run', '--detach', '--bundle', b.dir, id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unable to start container process: exec: "no-such-command": executable file not found in $PATH');
    expect(existsSync(join(s.root, id))).toBe(false);
    const fg = s.id('noexec-fg');
    expect(s.rt(['run', '--bundle', s.bundle(fg, { args: ['/no/such'] }).dir, fg]).status).toBe(127);
    const noperm = s.id('noexec-perm');
    const np = s.rt(['run', '--bundle', s.bundle(noperm, { args: ['/etc/passwd'] }).dir, noperm]);
    expect(np.status).toBe(126);
    expect(np.stderr).toContain('exec: "/etc/passwd": permission denied');
  });

  it('fails create with the child\'s error: invalid user, invalid cwd, missing overlay lower', () => {
    const u = s.id('baduser');
    const log = join(s.base, `${u}.log`);
    const b1 = s.bundle(u, { args: ['true'], userName: 'nosuchuser' });
    const r1 = s.rt(['create', '--bundle', b1.dir, '--log-path', log, u]);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain('tsc-runtime: create: invalid user nosuchuser');
    expect(readLog(log).map((l) => l.text).join('\n')).toContain('invalid user nosuchuser');
    expect(existsSync(join(s.root, u))).toBe(false);

    const c = s.id('badcwd');
    const b2 = s.bundle(c, { args: ['true'], cwd: '/bin/busybox' });
    const r2 = s.rt(['create', '--bundle', b2.dir, c]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('tsc-runtime: create: invalid cwd /bin/busybox: Not a directory');

    const o = s.id('nolower');
    const b3 = s.bundle(o, { args: ['true'], lowers: [join(s.base, 'does-not-exist')] });
    const r3 = s.rt(['create', '--bundle', b3.dir, o]);
    expect(r3.status).toBe(1);
    expect(r3.stderr).toMatch(/^tsc-runtime: create: mount overlay: lower layer .*does-not-exist: No such file or directory\n$/);
    expect(existsSync(join(s.root, o))).toBe(false);
  });

  it('runs the process as the configured user with its groups', () => {
    const id = s.id('user');
    const b = s.bundle(id, { args: ['id'], userName: 'www' });
    const r = runFg(id, b.dir, ['--rm']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('uid=33(www) gid=33(www) groups=33(www),100(users)');
  });

  it('refuses to run for a non-root caller with a clear message', () => {
    const r = s.rt([]);
    expect(r.status).toBe(2);
    const id = s.id('nonroot');
    const b = s.bundle(id, { args: ['true'] });
    const nr = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', RUNTIME, '--root', s.root, 'run', '--bundle', b.dir, id], { encoding: 'utf8' });
    expect(nr.status).toBe(1);
    expect(nr.stderr).toBe('tsc-runtime: run: must be run as root: Operation not permitted\n');
  });

  it('leaves no mount, cgroup, process or state behind after delete --force', async () => {
    const id = s.id('gone');
    const cg = s.cgroupPath(id);
    const b = s.bundle(id, { args: ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], cgroupsPath: cg, resources: { pids: { limit: 50 } } });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    const st = s.state(id);
    const pid = st.pid as number;
    const shim = st.shimPid as number;
    const netns = readlinkSync(`/proc/${pid}/ns/net`);
    expect(netns).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(existsSync(`/sys/fs/cgroup/pids/${cg}`)).toBe(true);
    const procs = await eventually(() => {
      const p = readFileSync(`/sys/fs/cgroup/pids/${cg}/cgroup.procs`, 'utf8').trim().split('\n');
      return p.length === 3 ? p : undefined;
    }, { what: 'three processes in the cgroup' });
    s.ok(['delete', '--force', id]);
    expect(existsSync(join(s.root, id))).toBe(false);
    for (const c of ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices']) expect(existsSync(`/sys/fs/cgroup/${c}/${cg}`)).toBe(false);
    await eventually(() => !existsSync(`/proc/${pid}`) && !existsSync(`/proc/${shim}`) && procs.every((p) => !existsSync(`/proc/${p}`)));
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(b.rootfs);
    expect(readdirSync(s.root).filter((d) => d === id)).toEqual([]);
    // no process is left in the container's network namespace (it had no bind mount: it is gone with them)
    const holders = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/ns/net`) === netns;
      } catch {
        return false;
      }
    });
    expect(holders).toEqual([]);
  });

  it('runs a plain root.path directory without overlay annotations (bundle also valid for crun/runc)', () => {
    const id = s.id('plain');
    const dir = join(s.base, id);
    mkdirSync(dir, { recursive: true });
    const b = s.bundle(id, { args: ['sh', '-c', 'cat /proc/self/mountinfo | head -1'] });
    const cfg = b.config as { root: { path: string }; annotations: Record<string, string> };
    cfg.root.path = busyboxRootfs();
    cfg.annotations = {};
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(cfg));
    const r = runFg(id, b.dir, ['--rm', '--bundle', b.dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ \/ /);
  });
});
