import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchExit } from '../../src/runtime/exit-watch.js';
import { parseExitText } from '../../src/runtime/runtime-state.js';

let base: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), `tsc-exitwatch-${process.pid}-`));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function fakeShim(): { dir: string; pid: number; child: ChildProcess } {
  const dir = join(base, `c${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(child);
  return { dir, pid: child.pid as number, child };
}

const readExit = (dir: string) => async () => {
  try {
    return parseExitText(await fsp.readFile(join(dir, 'exit.json'), 'utf8'));
  } catch {
    return undefined;
  }
};

describe('watchExit (fs.watch + pidfd)', () => {
  it('resolves when exit.json appears (atomic rename), while the shim still lives', async () => {
    const s = fakeShim();
    let gone = 0;
    const onShimGone = async () => {
      gone++;
      return { exitCode: -1, oomKilled: false, finishedAt: '' };
    };
    const p = watchExit({ stateDir: s.dir, shimPid: s.pid, readExit: readExit(s.dir), onShimGone, pollMs: 60_000 });
    setTimeout(() => {
      writeFileSync(join(s.dir, '.exit.tmp'), '{"exitCode":143,"signal":null,"oomKilled":false,"finishedAt":"2026-11-24T03:00:00Z"}\n');
      renameSync(join(s.dir, '.exit.tmp'), join(s.dir, 'exit.json'));
    }, 50);
    const exit = await p;
    expect(exit).toEqual({ exitCode: 143, oomKilled: false, finishedAt: '2026-11-24T03:00:00Z' });
    expect(gone).toBe(0);
  });

  it('a shim killed without writing exit.json is noticed through its pidfd', async () => {
    const s = fakeShim();
    const p = watchExit({
      stateDir: s.dir,
      shimPid: s.pid,
      readExit: readExit(s.dir),
      onShimGone: async () => ({ exitCode: 255, oomKilled: false, finishedAt: 'x' }),
      pollMs: 50,
    });
    setTimeout(() => s.child.kill('SIGKILL'), 100);
    expect((await p).exitCode).toBe(255);
  });

  it('an exit file that already exists resolves at once', async () => {
    const s = fakeShim();
    writeFileSync(join(s.dir, 'exit.json'), '{"exitCode":0,"signal":null,"oomKilled":true,"finishedAt":"t"}');
    expect(await watchExit({ stateDir: s.dir, shimPid: s.pid, readExit: readExit(s.dir), onShimGone: async () => ({ exitCode: 1, oomKilled: false, finishedAt: '' }) })).toEqual({
      exitCode: 0,
      oomKilled: true,
      finishedAt: 't',
    });
  });
});
