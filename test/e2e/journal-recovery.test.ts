/**
 * A supervisor killed after it sent a container its stop signal, while it was replacing it: the container
 * still runs when the next supervisor first looks, and exits a moment later. With restart policy "no"
 * nothing would start that slot again, so the successor finishes the removal its journal records (the
 * predecessor's state, written by hand here: the kill's timing is what stack-fault.test.ts leaves to chance).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('jrn');
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  // TERM is taken, and the exit comes ~1.5 s later: long after a successor's first listing
  p = env.project('jrn', `services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "trap 'sleep 1.5; exit 0' TERM; while true; do sleep 0.2; done"]
`);
});

afterAll(async () => {
  await env.cleanup();
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('journal of a killed supervisor', () => {
  it('a container it was removing is removed by the successor, and its slot made again', async () => {
    await env.ok(p, ['up', '-d']);
    const [before] = await env.psJson(p);
    expect(before?.State).toBe('running');
    const oldPid = before?.Pid ?? 0;
    expect(oldPid).toBeGreaterThan(0);

    const sup = env.supervisorPid(p.name) ?? 0;
    expect(sup).toBeGreaterThan(0);
    process.kill(sup, 'SIGKILL');
    await eventually(() => !alive(sup) || readFileSync(`/proc/${sup}/stat`, 'utf8').split(' ')[2] === 'Z', { what: 'supervisor gone' });
    // what the killed pass had written before its stop signal: the old container in the journal as a removal
    const file = join(env.root, 'projects', p.name, 'state.json');
    const st = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...st, pending: [before?.ID], removing: [before?.ID] }));
    process.kill(oldPid, 'SIGTERM');

    const up = await env.run(p, ['up', '-d']);
    if (up.status !== 0) throw new Error(`up failed:\n${up.stderr}\n${env.supervisorLog(p.name)}`);
    // the old PID 1 is gone for good, and the slot runs a new container
    await eventually(() => !alive(oldPid), { what: 'old PID 1 gone', timeoutMs: 30_000 });
    const rows = await env.psJson(p);
    expect(rows.map((r) => `${r.Name} ${r.State}`)).toEqual([`${p.name}-app-1 running`]);
    expect(rows[0]?.ID).not.toBe(before?.ID);
    expect(env.supervisorLog(p.name)).toContain('finishing the removal of');
  });
});
