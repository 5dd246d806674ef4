/**
 * A supervisor killed after it sent a container its stop signal, while it was replacing it: the container
 * still runs when the next supervisor first looks, and exits a moment later. With restart policy "no"
 * nothing would start that slot again, so the successor finishes the removals its predecessor had begun
 * (src/supervisor/retiring.ts). A container the killed pass only meant to remove later keeps running. The
 * predecessor's files are written by hand here: the kill's timing is what stack-fault.test.ts leaves to chance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { StackEnv } from '../helpers/stack.js';
import { pidAlive } from '../../src/image/store-fs.js';

const env = new StackEnv('jrn');
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  // TERM is taken, and the exit comes ~1.5 s later: long after a successor's first listing
  p = env.project('jrn', `services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "trap 'sleep 1.5; exit 0' TERM; while true; do sleep 0.2; done"]
  keep:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
`);
});

afterAll(async () => {
  await env.cleanup();
});

describe('journal of a killed supervisor', () => {
  it('a container it had begun to remove is removed by the successor, and its slot made again; one it had not stays', async () => {
    await env.ok(p, ['up', '-d']);
    const rows0 = await env.psJson(p);
    const before = rows0.find((r) => r.Service === 'app');
    const kept = rows0.find((r) => r.Service === 'keep');
    expect([before?.State, kept?.State]).toEqual(['running', 'running']);
    const oldPid = before?.Pid ?? 0;
    expect(oldPid).toBeGreaterThan(0);

    // with its watchdog: the next supervisor must be the one `up` starts after the files below are written
    const sup = env.killSupervisorAndWatchdog(p.name);
    await eventually(() => !pidAlive(sup) || readFileSync(`/proc/${sup}/stat`, 'utf8').split(' ')[2] === 'Z', { what: 'supervisor gone' });
    // what the killed pass had written: both containers in its journal, the first one's retirement begun
    const dir = join(env.root, 'projects', p.name);
    const st = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...st, pending: [before?.ID, kept?.ID] }));
    mkdirSync(join(dir, 'retiring'), { recursive: true });
    writeFileSync(join(dir, 'retiring', before?.ID ?? ''), '');
    process.kill(oldPid, 'SIGTERM');

    const up = await env.run(p, ['up', '-d']);
    if (up.status !== 0) throw new Error(`up failed:\n${up.stderr}\n${env.supervisorLog(p.name)}`);
    // the old PID 1 is gone for good, and the slot runs a new container; the other one was left alone
    await eventually(() => !pidAlive(oldPid), { what: 'old PID 1 gone', timeoutMs: 30_000 });
    const rows = await env.psJson(p);
    expect(rows.map((r) => `${r.Name} ${r.State}`).sort()).toEqual([`${p.name}-app-1 running`, `${p.name}-keep-1 running`]);
    expect(rows.find((r) => r.Service === 'app')?.ID).not.toBe(before?.ID);
    expect(rows.find((r) => r.Service === 'keep')?.ID).toBe(kept?.ID);
    expect(env.supervisorLog(p.name)).toContain('finishing the removal of');
    expect(existsSync(join(dir, 'retiring'))).toBe(false);
  });
});
