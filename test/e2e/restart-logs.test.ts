/**
 * Logs survive a restart by policy, as with Docker's one container across restarts of its PID 1: `logs`
 * shows every run of a crash-looping service once, in order (`logs -f` too, following across the
 * restarts), and across `restart` and `stop` + `start`; a recreate for a changed config starts a fresh log, as Compose's new container; `down`
 * leaves no carried log behind.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('rlogs');

// a counter in a volume tells the runs apart ($$ is Compose's escape for $)
const crashing = (name: string, extra = ''): string => `  ${name}:
    image: busybox:latest
    network_mode: none
    restart: on-failure:2
    volumes: ["${name}-data:/data"]
    command: ["sh", "-c", "${extra}n=$$(cat /data/n 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /data/n; echo run-$$n; echo err-$$n >&2; exit 1"]
`;

const runs = (out: string, prefix = 'run-'): string[] => out.split('\n').flatMap((l) => (l.match(new RegExp(`${prefix}\\d+`)) ?? []));

describe('logs across restarts', () => {
  it('`logs` shows every run of a service restarted by its policy, once each, in order; `down` leaves nothing', async () => {
    const p = env.project('rl', `services:
${crashing('crash')}volumes:
  crash-data: {}
`);
    await env.ok(p, ['up', '-d']);
    // on-failure:2: the first run and two restarts, then the service stays exited
    await eventually(async () => {
      const r = (await env.psJson(p)).find((x) => x.Service === 'crash');
      return r?.State === 'exited' && runs((await env.ok(p, ['logs', '--no-log-prefix', 'crash'])).stdout).length === 3;
    }, { what: 'three runs in the logs', timeoutMs: 90_000 });
    const out = await env.ok(p, ['logs', 'crash']);
    expect(runs(out.stdout)).toEqual(['run-1', 'run-2', 'run-3']);
    expect(runs(out.stdout + out.stderr, 'err-')).toEqual(['err-1', 'err-2', 'err-3']);
    expect(out.stdout).toMatch(/crash-1 +\| run-1/);
    // the carried log was taken by each new container: none waits in the project's directory
    const dir = join(env.root, 'projects', p.name);
    expect(readdirSync(dir).filter((f) => f.startsWith('carry-'))).toEqual([]);
    await env.ok(p, ['down', '-v']);
    expect(existsSync(dir)).toBe(false);
    expect(env.containerDirs()).toEqual([]);
  }, 180_000);

  it('`logs -f` follows across the restarts without repeating a line', async () => {
    // each run lasts a while, so the follow is there before the first restart
    const p = env.project('rf', `services:
${crashing('loop', 'sleep 1; ')}volumes:
  loop-data: {}
`);
    await env.ok(p, ['up', '-d']);
    // ends by itself once the container has stopped for good (as `docker compose logs -f`)
    const r = await env.run(p, ['logs', '-f', '--no-log-prefix', 'loop'], 150_000);
    expect(r.status).toBe(0);
    expect(runs(r.stdout)).toEqual(['run-1', 'run-2', 'run-3']);
  }, 180_000);

  it('`restart` and `stop` + `start` keep the log, as Docker restarting the same container', async () => {
    const p = env.project('rv', `services:
  web:
    image: busybox:latest
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; echo boot-$$(cat /proc/sys/kernel/random/uuid | cut -c1-8); while true; do sleep 0.1; done"]
`);
    await env.ok(p, ['up', '-d']);
    const boots = async (n: number): Promise<string[]> => eventually(async () => {
      const found = runs((await env.ok(p, ['logs', '--no-log-prefix', 'web'])).stdout, 'boot-[0-9a-f]{0,8}');
      return found.length === n ? found : undefined;
    }, { what: `${n} boots in the logs`, timeoutMs: 60_000 });
    const first = await boots(1);
    await env.ok(p, ['restart', '-t', '5']);
    const second = await boots(2);
    expect(second[0]).toBe(first[0]);
    await env.ok(p, ['stop', '-t', '5']);
    await env.ok(p, ['start']);
    const third = await boots(3);
    expect(third.slice(0, 2)).toEqual(second);
    expect(new Set(third).size).toBe(3);
  }, 180_000);

  it('a recreate for a changed config starts a fresh log', async () => {
    const yaml = (v: string): string => `services:
  web:
    image: busybox:latest
    network_mode: none
    environment: { V: "${v}" }
    command: ["sh", "-c", "echo hello-$$V; exec sleep 3600"]
`;
    const p = env.project('rc', yaml('one'));
    await env.ok(p, ['up', '-d']);
    await eventually(async () => (await env.ok(p, ['logs', 'web'])).stdout.includes('hello-one'), { what: 'first log line', timeoutMs: 60_000 });
    env.writeCompose(p.dir, yaml('two'));
    await env.ok(p, ['up', '-d']);
    const out = await eventually(async () => {
      const o = (await env.ok(p, ['logs', 'web'])).stdout;
      return o.includes('hello-two') ? o : undefined;
    }, { what: 'the new container logs', timeoutMs: 60_000 });
    expect(out).not.toContain('hello-one');
  }, 180_000);
});
