/**
 * tsc-runtime shim: survives the SIGKILL of the process that created the container, keeps the container running,
 * and a new process reads its state and exit status; its RSS stays under 1 MiB.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { readLog, RUNTIME, Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('shim');
});
afterAll(() => s?.cleanup());

function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return out;
}

describe('tsc-runtime shim', () => {
  it('keeps the container when the Node parent is SIGKILLed; a new process reads the exit status', async () => {
    const id = s.id('orphan');
    const log = join(s.base, `${id}.log`);
    const b = s.bundle(id, { args: ['sh', '-c', 'trap "echo bye; exit 42" TERM; echo up; while true; do sleep 0.1; done'] });
    const script = `
      const { execFileSync } = require('node:child_process');
      execFileSync(${JSON.stringify(RUNTIME)}, ['--root', ${JSON.stringify(s.root)}, 'create', '--log-path', ${JSON.stringify(log)}, '--bundle', ${JSON.stringify(b.dir)}, ${JSON.stringify(id)}]);
      execFileSync(${JSON.stringify(RUNTIME)}, ['--root', ${JSON.stringify(s.root)}, 'start', ${JSON.stringify(id)}]);
      console.log('started');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const gone = new Promise((r) => parent.on('exit', r));
    try {
      await eventually(() => out.includes('started'), { what: 'parent started the container' });
    } finally {
      parent.kill('SIGKILL');
    }
    await gone;
    const st = s.state(id);
    expect(st.status).toBe('running');
    const shim = st.shimPid as number;
    expect(Number(status(shim).PPid)).not.toBe(parent.pid);
    await eventually(() => readLog(log).some((l) => l.text === 'up'));
    s.ok(['kill', id, 'TERM']);
    const fin = await eventually(() => {
      const v = s.state(id);
      return v.status === 'stopped' ? v : undefined;
    });
    expect(fin.exitCode).toBe(42);
    expect(readLog(log).some((l) => l.text === 'bye')).toBe(true);
    s.ok(['delete', id]);
  });

  it('stays under 1 MiB of RSS while copying a chatty container\'s output', async () => {
    const id = s.id('rss');
    const log = join(s.base, `${id}.log`);
    const b = s.bundle(id, { args: ['sh', '-c', 'i=0; while true; do echo line $i; echo err $i >&2; i=$((i+1)); sleep 0.05; done'] });
    s.ok(['run', '--detach', '--log-path', log, '--bundle', b.dir, id]);
    const shim = s.state(id).shimPid as number;
    await eventually(() => readLog(log).filter((l) => l.stream === 'stderr').length > 20, { what: 'output flowing' });
    const rssKiB = Number(status(shim).VmRSS!.replace(/\s*kB$/, ''));
    expect(rssKiB).toBeGreaterThan(0);
    expect(rssKiB).toBeLessThanOrEqual(1024);
    s.ok(['delete', '--force', id]);
  });
});
