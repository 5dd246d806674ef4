/**
 * Health checks and `pause`, as Docker: no probe runs while a container is paused (a probe exec'd into the
 * frozen cgroup could only time out), its health stays what it was, `ps` shows it "(Paused)", and the probes
 * start again on unpause.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackEnvWithBusybox } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

const env = stackEnvWithBusybox('hlthpause');

const probes = (dir: string): number => {
  try {
    return readFileSync(join(dir, 'probes'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

describe('health checks of a paused container', () => {
  it('are skipped while paused: the status stays healthy, ps says Paused, probes resume on unpause', async () => {
    const p = env.project('hp', 'services: {}\n');
    const probeDir = join(p.dir, 'probe');
    mkdirSync(probeDir);
    env.writeCompose(p.dir, `services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    volumes:
      - ${probeDir}:/probe
    healthcheck:
      test: ["CMD-SHELL", "echo x >> /probe/probes"]
      interval: 300ms
      timeout: 1s
      retries: 1
`);
    await env.ok(p, ['up', '-d', '--wait']);
    await eventually(async () => expect((await env.psJson(p)).find((c) => c.Service === 'app')?.Health).toBe('healthy'), { timeoutMs: 60_000 });
    await env.ok(p, ['pause', 'app']);
    const row = (await env.psJson(p)).find((c) => c.Service === 'app');
    expect(row?.State).toBe('paused');
    expect(row?.Status).toMatch(/^Up .*\(Paused\)$/);
    const before = probes(probeDir);
    // several intervals and probe timeouts pass while paused (a probe would have failed: retries is 1)
    await sleep(4000);
    const paused = (await env.psJson(p)).find((c) => c.Service === 'app');
    expect(paused?.State).toBe('paused');
    expect(paused?.Status).toMatch(/\(Paused\)$/);
    expect(probes(probeDir)).toBe(before); // nothing ran in the frozen container
    await env.ok(p, ['unpause', 'app']);
    const after = (await env.psJson(p)).find((c) => c.Service === 'app');
    expect(after?.State).toBe('running');
    expect(after?.Health).toBe('healthy');
    await eventually(() => expect(probes(probeDir)).toBeGreaterThan(before + 2), { timeoutMs: 60_000 });
    expect((await env.psJson(p)).find((c) => c.Service === 'app')?.Health).toBe('healthy');
  }, 180_000);
});
