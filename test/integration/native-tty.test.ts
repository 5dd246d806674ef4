/**
 * process.terminal (OCI config.json) and `exec -t`: the process gets a pty of the container's own devpts as
 * stdio, controlling terminal and /dev/console. Foreground `run` relays it to the caller's terminal (raw mode,
 * window size); a detached container's pty output goes to the CRI log as stdout lines.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { readLog, RUNTIME, Scratch } from '../helpers/oci-bundle.js';
import { runInPty } from '../helpers/pty-run.js';

let s: Scratch;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('tty');
});
afterAll(() => s?.cleanup());

const PROBE = 'test -t 0 && echo stdin-is-tty; test -t 1 && echo stdout-is-tty; tty; stty size; ls -l /dev/console | cut -c1';

describe('tsc-runtime process.terminal', () => {
  it('foreground run: PID 1 gets a terminal with the caller\'s window size; input is relayed', async () => {
    const id = s.id('fg');
    const b = s.bundle(id, { terminal: true, args: ['sh', '-c', `${PROBE}; read -r line; echo "got:$line"; read -r x; stty size; exit 3`] });
    const r = await runInPty([RUNTIME, '--root', s.root, 'run', '--rm', '--bundle', b.dir, id], [
      { waitFor: 'c\r\n', send: 'hello\r' },
      { waitFor: 'got:hello', send: '\r', resize: [50, 90] }, // the new size reaches the container's terminal
    ]);
    expect(r.pending, r.out).toBe(0);
    expect(r.out).toContain('50 90');
    const lines = r.out.split(/\r?\n/).map((l) => l.trim());
    expect(lines).toContain('stdin-is-tty');
    expect(lines).toContain('stdout-is-tty');
    expect(lines.some((l) => /^\/dev\/pts\/\d+$/.test(l))).toBe(true);
    expect(lines).toContain('33 101');
    expect(lines).toContain('got:hello');
    expect(r.code).toBe(3);
  });

  it('foreground run with init: the workload has the terminal as its controlling tty', async () => {
    const id = s.id('init');
    const b = s.bundle(id, { terminal: true, init: true, args: ['sh', '-c', 'test -t 0 && echo tty-ok; cat /proc/self/stat | cut -d" " -f7'] });
    const r = await runInPty([RUNTIME, '--root', s.root, 'run', '--rm', '--bundle', b.dir, id]);
    expect(r.out).toContain('tty-ok');
    const ttyNr = r.out.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
    expect(Number(ttyNr[0])).not.toBe(0);
    expect(r.code).toBe(0);
  });

  it('detached: the pty output lands in the log as stdout lines, without carriage returns', async () => {
    const id = s.id('det');
    const log = join(s.base, `${id}.log`);
    const b = s.bundle(id, { terminal: true, args: ['sh', '-c', 'test -t 0 && echo detached-tty; echo err-line >&2'] });
    s.ok(['create', '--bundle', b.dir, '--log-path', log, id]);
    s.ok(['start', id]);
    await eventually(() => expect(s.state(id).status).toBe('stopped'));
    await eventually(() => expect(readLog(log).map((l) => `${l.stream}:${l.text}`)).toEqual(['stdout:detached-tty', 'stdout:err-line']));
    expect(s.state(id).exitCode).toBe(0);
    s.ok(['delete', id]);
  });

  it('--console-socket (runc\'s): the pty master and its name go to the socket; the caller reads the terminal', () => {
    const id = s.id('console');
    const b = s.bundle(id, { terminal: true, args: ['sh', '-c', 'test -t 1 && echo via-console-socket'] });
    const sock = join(s.base, `${id}.sock`);
    // a tiny recvtty: accept, take the fd (socket.recv_fds), start the container, read the terminal to EOF
    const py = String.raw`
import json, os, socket, subprocess, sys
rt, root, bundle, cid, path = sys.argv[1:6]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(path); srv.listen(1)
p = subprocess.Popen([rt, '--root', root, 'create', '--console-socket', path, '--bundle', bundle, cid])
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 64, 1)
rc = p.wait()
subprocess.run([rt, '--root', root, 'start', cid], check=True)
out = b''
while True:
    try:
        b = os.read(fds[0], 4096)
    except OSError:
        break
    if not b:
        break
    out += b
print(json.dumps({'create': rc, 'name': msg.decode(), 'out': out.decode()}))
`;
    const r = spawnSync('python3', ['-c', py, RUNTIME, s.root, b.dir, id, sock], { encoding: 'utf8', timeout: 60_000 });
    const res = JSON.parse(r.stdout) as { create: number; name: string; out: string };
    expect(res.create).toBe(0);
    expect(res.name).toMatch(/^\/dev\/pts\/\d+$/);
    expect(res.out).toContain('via-console-socket');
    s.ok(['delete', '--force', id]);
  });

  it('exec -t: an interactive shell in a running container, window size and exit status relayed', async () => {
    const id = s.id('exec');
    const b = s.bundle(id, { args: ['sleep', '300'] });
    s.ok(['run', '--detach', '--bundle', b.dir, id]);
    const r = await runInPty([RUNTIME, '--root', s.root, 'exec', '-t', id, '--', 'sh'], [
      { waitFor: '# ', send: 'stty size; hostname; echo $((40+2))\r' },
      { waitFor: '42', send: 'stty size\r', resize: [40, 120] },
      { waitFor: '40 120', send: 'exit 7\r' },
    ]);
    expect(r.pending, r.out).toBe(0);
    expect(r.out).toContain('33 101');
    expect(r.out).toContain('40 120');
    expect(r.out).toContain('ctr');
    expect(r.code).toBe(7);
    s.ok(['delete', '--force', id]);
  });
});
