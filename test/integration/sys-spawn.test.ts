/** posix_spawn of a helper with piped stdin/stdout (src/sys/spawn.ts), and `tsc-runtime serve` started that way. */
import { spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reap, spawnPiped } from '../../src/sys/spawn.js';
import { spawnViaShell } from '../../src/runtime/spawner.js';
import { spawnPosix } from '../../src/runtime/posix-child.js';
import { eventually } from '../helpers/eventually.js';
import { RUNTIME } from '../helpers/oci-bundle.js';

/** SigIgn and SigBlk of /proc/PID/status text, as numbers. */
function sigMasks(status: string): { ign: bigint; blk: bigint } {
  const hex = (k: string): bigint => BigInt(`0x${new RegExp(`^${k}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? 'ffff'}`);
  return { ign: hex('SigIgn'), blk: hex('SigBlk') };
}

const cmdline = (pid: string): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};

/** stat fields after the command name: state, ppid, ... */
const statFields = (pid: string): string[] | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  } catch {
    return undefined;
  }
};

const childOfOurs = (pid: number): boolean => statFields(String(pid))?.[1] === String(process.pid);

function collect(fd: number): Promise<string> {
  const s = new Socket({ fd, readable: true, writable: false });
  let text = '';
  s.setEncoding('utf8').on('data', (d: string) => (text += d));
  return new Promise((resolve, reject) => {
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

describe('spawnPiped', () => {
  it('runs the program with its stdin and stdout on our pipes, in the directory asked for, without our signal settings', async () => {
    const h = spawnPiped('/bin/sh', ['-c', 'pwd; cat; grep -E "^Sig(Ign|Blk)" /proc/$$/status; ls /proc/$$/fd'], { cwd: '/' });
    expect(h.pid).toBeGreaterThan(0);
    const out = collect(h.stdoutFd);
    const input = new Socket({ fd: h.stdinFd, readable: false, writable: true });
    input.end('line from the parent\n');
    const text = await out;
    const [cwd, echoed] = text.split('\n');
    expect(cwd).toBe('/');
    expect(echoed).toBe('line from the parent');
    const { ign, blk } = sigMasks(text);
    // Node ignores SIGPIPE and blocks nothing: the child gets every standard signal at its default and none
    // blocked (glibc's spawn leaves its two internal signals, 32 and 33, ignored: serve resets those)
    expect(blk).toBe(0n);
    expect(ign & 0x7fffffffn).toBe(0n); // signals 1-31
    // stdin, stdout, stderr (/dev/null) and nothing of ours: no more than a Node spawn passes (a test
    // runner's worker may hold a descriptor without close-on-exec, e.g. its IPC channel)
    const fdsOf = (listing: string): number[] => listing.trim().split('\n').filter((l) => /^\d+$/.test(l)).map(Number).sort((a, b) => a - b);
    const byNode = fdsOf(spawnSync('/bin/sh', ['-c', 'ls /proc/$$/fd'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] }).stdout);
    expect(fdsOf(text.split('SigBlk')[1] ?? '')).toEqual(byNode);
    await eventually(() => reap(h.pid), { timeoutMs: 10_000 });
    // collected: no zombie of ours is left under that pid (it may only be a new process's by now)
    expect(childOfOurs(h.pid)).toBe(false);
  });

  it('throws for a program that cannot be run (the caller spawns as before)', () => {
    expect(() => spawnPiped('/nonexistent/helper', [])).toThrow(/errno/);
  });

  it('PosixChild: stdin end is EOF for the child, stderr piped, exit code and killing signal reported as a ChildProcess does', async () => {
    const c = spawnPosix('/bin/sh', ['-c', 'cat; echo oops >&2; exit 7'], { stderr: 'pipe' });
    expect(c).toBeDefined();
    let out = '';
    let err = '';
    c!.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c!.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const closed = new Promise<[number | null, string | null]>((resolve) => c!.once('close', (code, sig) => resolve([code, sig])));
    c!.stdin.end('through stdin\n');
    expect(await closed).toEqual([7, null]);
    expect({ out, err, exitCode: c!.exitCode }).toEqual({ out: 'through stdin\n', err: 'oops\n', exitCode: 7 });
    expect(childOfOurs(c!.pid)).toBe(false); // collected, no zombie

    const k = spawnPosix('/bin/sleep', ['600']);
    const exited = new Promise<[number | null, string | null]>((resolve) => k!.once('exit', (code, sig) => resolve([code, sig])));
    expect(k!.kill('SIGTERM')).toBe(true);
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(k!.signalCode).toBe('SIGTERM');
  });

  it('tsc-runtime serve started this way ignores no signal (its jobs, shims and containers inherit that)', async () => {
    const viaServe = await spawnViaShell(RUNTIME, ['--version'], undefined, { sealedRuntime: true });
    expect(viaServe.code).toBe(0);
    const serves = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(p)[1] === 'serve' && statFields(p)?.[1] === String(process.pid));
    expect(serves.length).toBe(1);
    expect(sigMasks(readFileSync(`/proc/${serves[0]}/status`, 'utf8')).ign).toBe(0n);
  });
});
