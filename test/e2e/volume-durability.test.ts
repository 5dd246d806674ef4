/**
 * Data loss test (issue 8): a writer appends numbered records to a named volume, fsyncs, then
 * acknowledges each record on a host bind mount, while the test SIGKILLs its PID 1 50 times and the
 * project's supervisor 5 times. Every restart is a fresh container on the same volume; afterwards every
 * acknowledged record is present in the volume, and the volume holds nothing but whole records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, StackEnv } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

let env: StackEnv;

beforeAll(async () => {
  env = new StackEnv('voldur');
  await env.importBusybox();
});

afterAll(async () => {
  await env?.cleanup();
});

/** Host pids of running containers in this env (only the writer runs), from the runtime's own list. */
function runningPids(): number[] {
  const r = spawnSync(join(REPO, 'native/build/tsc-runtime'), ['--root', join(env.runDir, 'runtime'), 'list'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { status?: string; pid?: number })
    .filter((s) => s.status === 'running' && typeof s.pid === 'number' && s.pid > 0)
    .map((s) => s.pid as number);
}

const lines = (p: string): string[] => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);

describe('volume durability under crashes', () => {
  it('keeps every acknowledged record through 50 PID 1 kills and 5 supervisor kills', async () => {
    // the writer resumes after the last record; `sync FILE` fsyncs the record before it is acknowledged
    const p = env.project('dur', `services:
  writer:
    image: busybox:latest
    command:
      - sh
      - -c
      - |
        echo boot >> /ack/boots
        n=$$(tail -n 1 /data/records 2>/dev/null || echo 0)
        while true; do
          n=$$((n + 1))
          echo $$n >> /data/records
          sync /data/records
          echo $$n >> /ack/acks
          usleep 20000
        done
    volumes:
      - records:/data
      - ./ack:/ack
    deploy:
      restart_policy:
        condition: any
        delay: 50ms
volumes:
  records:
`);
    await env.ok(p, ['up', '-d']);
    const boots = join(p.dir, 'ack', 'boots');
    const acks = join(p.dir, 'ack', 'acks');
    const records = join(env.root, 'volumes', `${p.name}_records`, '_data', 'records');
    let killed = 0;
    let lastPid = 0;
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 5) {
        const sup = env.supervisorPid(p.name);
        expect(sup).toBeGreaterThan(0);
        process.kill(sup as number, 'SIGKILL'); // the project's supervisor, started by this test's `up`
        await env.ok(p, ['up', '-d']); // a new supervisor adopts the running container
      }
      const pid = await eventually(() => {
        const pids = runningPids().filter((x) => x !== lastPid);
        return pids.length === 1 ? pids[0] : undefined;
      }, { what: `writer running again (kill ${i})`, timeoutMs: 60_000 });
      // this incarnation has booted (the kill hits a writer that runs, not one still being set up)
      await eventually(() => lines(boots).length > i, { what: `writer boot ${i + 1}`, timeoutMs: 60_000 });
      process.kill(pid, 'SIGKILL'); // the writer's PID 1, a process of the stack this test started
      killed++;
      lastPid = pid;
    }
    expect(killed).toBe(50);
    await eventually(() => lines(boots).length >= 51, { what: 'restart after the last kill', timeoutMs: 60_000 });
    await env.ok(p, ['down']);
    const acked = new Set(lines(acks));
    const stored = lines(records);
    expect(stored.every((l) => /^\d+$/.test(l))).toBe(true);
    const have = new Set(stored);
    const lost = [...acked].filter((n) => !have.has(n));
    expect(lost).toEqual([]);
    expect(acked.size).toBeGreaterThan(50);
  }, 600_000);
});
