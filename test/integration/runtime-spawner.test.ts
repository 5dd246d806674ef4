/** The shared shell that runs the helper tools: status, stdout, stderr, stdin and quoting, many at once. */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeSpawner, spawnerWorkBase, spawnViaShell } from '../../src/runtime/spawner.js';
import { eventually } from '../helpers/eventually.js';
import { REPO } from '../helpers/stack.js';
import { readLog, RUNTIME, Scratch } from '../helpers/oci-bundle.js';

const cmdline = (pid: string): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};
const ppid = (pid: string): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1];
  } catch {
    return undefined;
  }
};

describe('spawner', () => {
  it('reports status, output and input of each command, with arguments passed verbatim', async () => {
    const r = await spawnViaShell('/bin/sh', ['-c', 'cat; echo "$1" >&2; exit 3', 'sh', `it's a "test" $HOME \\ ;`], 'from stdin\n');
    expect(r).toEqual({ code: 3, stdout: 'from stdin\n', stderr: `it's a "test" $HOME \\ ;\n` });
    const missing = await spawnViaShell('/nonexistent/tool', []);
    expect(missing.code).toBe(127);
  });

  it('runs many commands concurrently, each with its own result', async () => {
    const n = 30;
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => spawnViaShell('/bin/sh', ['-c', `sleep 0.0$((${i} % 5)); echo ${i}; exit $((${i} % 7))`])));
    rs.forEach((r, i) => {
      expect(r.stdout).toBe(`${i}\n`);
      expect(r.code).toBe(i % 7);
    });
  });

  it('leaves no zombie job behind once its commands are done', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => spawnViaShell('/bin/sh', ['-c', `exit ${i}`])));
    // stat fields after the command name: state, ppid
    const stat = (pid: string): string[] | undefined => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      } catch {
        return undefined;
      }
    };
    const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    const shells = procs.filter((p) => stat(p)?.[1] === String(process.pid));
    expect(shells.length).toBeGreaterThan(0);
    await eventually(() => {
      const zombies = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && shells.includes(stat(p)?.[1] ?? '') && stat(p)?.[0] === 'Z');
      expect(zombies).toEqual([]);
      return true;
    });
  });

  it('runs tsc-runtime from one sealed copy held by its own shell, with arguments verbatim', async () => {
    const r = await spawnViaShell(RUNTIME, ['--version'], undefined, { sealedRuntime: true });
    expect(r).toEqual({ code: 0, stdout: 'tsc-runtime 0.1.0\n', stderr: '' });
    const bad = await spawnViaShell(RUNTIME, ['--root', "/nonexistent/it's", 'state', 'nope'], undefined, { sealedRuntime: true });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tsc-runtime: state: /);
  });

  it('runs many tsc-runtime commands at once through `tsc-runtime serve`, each with its own status, output and input', async () => {
    const n = 20;
    const rs = await Promise.all(Array.from({ length: n }, (_, i) =>
      spawnViaShell(RUNTIME, ['--root', `/nonexistent/${i} it's "x"`, 'state', `c${i}`], undefined, { sealedRuntime: true })));
    rs.forEach((r, i) => {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`tsc-runtime: state: container c${i} does not exist: No such file or directory\n`);
    });
    // the runner is a sealed copy (CVE-2019-5736): every command is a fork of it, never the host binary
    const runners = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(p)[1] === 'serve' && ppid(p) === String(process.pid));
    expect(runners.length).toBe(1);
    expect(readlinkSync(`/proc/${runners[0]}/exe`)).toMatch(/^\/memfd:tsc-runtime/);
  });

  it('create and run --detach through serve: the job becomes the shim, answers once created, and is reaped when its container ends', async () => {
    const sc = new Scratch('spawn');
    try {
      const rt = (args: string[]) => spawnViaShell(RUNTIME, ['--root', sc.root, ...args], undefined, { sealedRuntime: true });
      const id = sc.id('det');
      const b = sc.bundle(id, { args: ['sh', '-c', 'echo hello; sleep 2; exit 3'], cgroupsPath: sc.cgroupPath(id) });
      const pidFile = join(sc.base, `${id}.pid`);
      const r = await rt(['run', '--detach', '--bundle', b.dir, '--log-path', join(sc.base, `${id}.log`), '--pid-file', pidFile, id]);
      expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
      const st = sc.state(id);
      expect(st.status).toBe('running');
      expect(readFileSync(pidFile, 'utf8')).toBe(String(st.pid));
      // ps shows the shim as what it runs, not as serve
      expect(cmdline(String(st.shimPid))[1]).toBe(`run ${id}`);
      await eventually(() => (sc.state(id).status === 'stopped' ? true : undefined), { what: 'container stopped', timeoutMs: 30_000 });
      expect(sc.state(id).exitCode).toBe(3);
      expect(readLog(join(sc.base, `${id}.log`)).map((l) => l.text)).toEqual(['hello']);
      // the shim that answered early exits with its container and leaves no zombie behind
      const shim = String(st.shimPid);
      await eventually(() => (ppid(shim) === undefined ? true : undefined), { what: 'shim reaped', timeoutMs: 30_000 });
      sc.ok(['delete', id]);

      // create: answered while PID 1 waits for start; errors of the shim come back on stderr with status 1
      const id2 = sc.id('cre');
      const b2 = sc.bundle(id2, { args: ['true'] });
      expect((await rt(['create', '--bundle', b2.dir, id2])).code).toBe(0);
      expect(sc.state(id2).status).toBe('created');
      sc.ok(['delete', id2]);
      const id3 = sc.id('bad');
      const b3 = sc.bundle(id3, { args: ['true'], userName: 'nobody-here' });
      const bad = await rt(['run', '--detach', '--bundle', b3.dir, id3]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^tsc-runtime: run: invalid user nobody-here/);
      expect(existsSync(join(sc.root, id3))).toBe(false);
    } finally {
      sc.cleanup();
    }
  });

  it('a create in flight when serve reads EOF (its Node died) still leaves a shim that sees its container exit', async () => {
    const sc = new Scratch('spawn-eof');
    try {
      const id = sc.id('eof');
      const b = sc.bundle(id, { args: ['sh', '-c', 'sleep 1; exit 5'] });
      const serve = spawn(RUNTIME, ['serve'], { stdio: ['pipe', 'ignore', 'inherit'] });
      serve.stdin!.end(`${JSON.stringify({ id: 1, argv: ['tsc-runtime', '--root', sc.root, 'run', '--detach', '--bundle', b.dir, id], out: '/dev/null', err: '/dev/null', self: true })}\n`);
      await new Promise((r) => serve.on('exit', r));
      await eventually(() => (existsSync(join(sc.root, id, 'state.json')) ? true : undefined), { what: 'container created', timeoutMs: 30_000 });
      // the shim outlived serve (no SIGPIPE at its report) and writes the exit status
      await eventually(() => (sc.state(id).status === 'stopped' ? true : undefined), { what: 'container stopped', timeoutMs: 30_000 });
      expect(sc.state(id).exitCode).toBe(5);
      expect(existsSync(join(sc.root, id, 'exit.json'))).toBe(true);
      sc.ok(['delete', id]);
    } finally {
      sc.cleanup();
    }
  });

  it('runs a tsc-runtime rebuilt since its runner started from the new file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsc-spawn-test-'));
    try {
      const bin = join(dir, 'tsc-runtime');
      copyFileSync(RUNTIME, bin);
      chmodSync(bin, 0o755);
      expect((await spawnViaShell(bin, ['--version'], undefined, { sealedRuntime: true })).stdout).toBe('tsc-runtime 0.1.0\n');
      // replaced by another file (as make's rename does): run from its path, with stdin and status
      writeFileSync(`${bin}.tmp`, '#!/bin/sh\necho "rebuilt $*"; cat; exit 4\n');
      chmodSync(`${bin}.tmp`, 0o755);
      renameSync(`${bin}.tmp`, bin);
      const r = await spawnViaShell(bin, ['a b', "c'd"], 'input\n', { sealedRuntime: true });
      expect(r).toEqual({ code: 4, stdout: "rebuilt a b c'd\ninput\n", stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to the plain shell for a binary that cannot hold a sealed copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsc-spawn-test-'));
    try {
      // an older tsc-runtime: no serve verb (usage error), every other call works
      const bin = join(dir, 'old-runtime');
      writeFileSync(bin, '#!/bin/sh\nif [ "$1" = serve ]; then echo usage >&2; exit 2; fi\necho "ran $*"\n');
      chmodSync(bin, 0o755);
      const rs = await Promise.all([1, 2, 3].map((i) => spawnViaShell(bin, ['call', String(i)], undefined, { sealedRuntime: true })));
      expect(rs.map((r) => [r.code, r.stdout])).toEqual([[0, 'ran call 1\n'], [0, 'ran call 2\n'], [0, 'ran call 3\n']]);
      expect((await spawnViaShell(bin, ['again'], undefined, { sealedRuntime: true })).stdout).toBe('ran again\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([false, true])('leaves no work dir behind when its Node process is SIGKILLed (tsc-runtime serve: %s)', async (sealed) => {
    const call = sealed ? `spawnViaShell(${JSON.stringify(RUNTIME)}, ['--version'], undefined, { sealedRuntime: true })` : `spawnViaShell('/bin/true', [])`;
    const script = `import { spawnViaShell } from ${JSON.stringify(join(REPO, 'dist/runtime/spawner.js'))};
await ${call};
console.log('ready');
setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (c) => reject(new Error(`child exited ${c}`)));
    });
    const dir = join(spawnerWorkBase(), `tsc-spawn-${child.pid}${sealed ? '-rt' : ''}`);
    expect(existsSync(dir)).toBe(true);
    child.kill('SIGKILL');
    await eventually(() => (existsSync(dir) ? undefined : true), { what: `${dir} removed`, timeoutMs: 30_000 });
  });

  it('closeSpawner ends the shells and reaps them: nothing of theirs is left, not even a zombie', async () => {
    await spawnViaShell('/bin/true', []);
    await spawnViaShell(RUNTIME, ['--version'], undefined, { sealedRuntime: true });
    const mine = (): string[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d) && ppid(d) === String(process.pid));
    const shells = mine().filter((d) => cmdline(d).includes('serve') || cmdline(d).includes('-s'));
    expect(shells.length).toBeGreaterThanOrEqual(2);
    await closeSpawner();
    for (const pid of shells) expect(existsSync(`/proc/${pid}`), `runner ${pid} still there`).toBe(false);
  });
});
