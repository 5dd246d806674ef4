/**
 * Run a command on a pseudo-terminal (python3's pty module), as a user at a terminal would: the terminal is
 * 33 rows x 101 columns, `steps` send input once the output so far contains `waitFor`. Resolves with the exit
 * status and everything the terminal showed. A generous deadline, never a timing assertion.
 */
import { spawn } from 'node:child_process';

/** resize: set the terminal to [rows, cols] (SIGWINCH to its foreground group) before sending. */
export interface PtyStep { waitFor: string; send: string; resize?: [number, number] }

const PY = String.raw`
import fcntl, json, os, pty, select, struct, sys, termios, time
argv, steps, deadline = json.loads(sys.argv[1]), json.loads(sys.argv[2]), time.time() + float(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
    os.execvpe(argv[0], argv, os.environ)
out, seen, status = b'', 0, None
while time.time() < deadline:
    if steps and steps[0]['waitFor'].encode() in out[seen:]:
        seen = out.index(steps[0]['waitFor'].encode(), seen) + len(steps[0]['waitFor'])
        step = steps.pop(0)
        if step.get('resize'):
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', step['resize'][0], step['resize'][1], 0, 0))
            time.sleep(0.2)
        os.write(fd, step['send'].encode())
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            b = os.read(fd, 65536)
        except OSError:
            b = b''
        if not b:
            break
        out += b
    elif status is None:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            status = st
while status is None:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p == pid:
        status = st
    elif time.time() > deadline:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    else:
        time.sleep(0.05)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({'code': code, 'out': out.decode('utf-8', 'replace'), 'pending': len(steps)}))
`;

export function runInPty(argv: string[], steps: PtyStep[] = [], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number; out: string; pending: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', PY, JSON.stringify(argv), JSON.stringify(steps), String((opts.timeoutMs ?? 60_000) / 1000)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', () => {
      try {
        resolve(JSON.parse(out) as { code: number; out: string; pending: number });
      } catch {
        reject(new Error(`pty helper: ${err || out}`));
      }
    });
  });
}
