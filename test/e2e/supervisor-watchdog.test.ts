/**
 * A stack left running with `up -d` is kept as declared even when its supervisor dies without a word
 * (SIGKILL here): its watchdog (src/supervisor/watchdog.ts, native/launch/tsc-launch.c) starts a new
 * supervisor, which adopts the running containers and applies their restart policies, with no CLI run.
 * A supervisor a CLI starts after such a death ends the predecessor's watchdog; an exit on purpose
 * (down) ends its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { StackEnv, leaksOf, processesUnder } from '../helpers/stack.js';
import { pidAlive } from '../../src/image/store-fs.js';

const env = new StackEnv('wdg');
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('wdg', `services:
  app:
    image: busybox:latest
    restart: always
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2 & wait; done"]
  steady:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2 & wait; done"]
`);
});

afterAll(async () => {
  await env.cleanup();
});

const watchdogs = (): number[] => processesUnder(env.base).filter((pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1] === '--watchdog';
  } catch {
    return false;
  }
});
const watchdogPidFile = (): string => join(env.root, 'projects', p.name, 'watchdog.pid');
const pidOf = async (service: string): Promise<number> => (await env.psJson(p)).find((r) => r.Service === service)?.Pid as number;

describe('the supervisor watchdog', () => {
  it('starts a new supervisor after a SIGKILL; it adopts the containers and restarts one that died meanwhile', async () => {
    await env.ok(p, ['up', '-d']);
    const sup = env.supervisorPid(p.name) ?? 0;
    expect(sup).toBeGreaterThan(0);
    await eventually(() => watchdogs().length === 1 || undefined, { what: 'the watchdog started', timeoutMs: 30_000 });
    expect(Number(readFileSync(watchdogPidFile(), 'utf8'))).toBe(watchdogs()[0]);
    const steady = await pidOf('steady');
    const app = await pidOf('app');
    process.kill(sup, 'SIGKILL'); // the project's supervisor, started by this test's up
    await eventually(() => !pidAlive(sup) || undefined, { what: 'the supervisor gone' });
    process.kill(app, 'SIGKILL'); // app's PID 1, while no supervisor runs: restart "always" must still hold
    // no CLI command: the watchdog's supervisor takes over and restarts app
    const next = await eventually(() => {
      const s = env.supervisorPid(p.name);
      return s !== undefined && s !== sup && pidAlive(s) ? s : undefined;
    }, { what: 'a new supervisor', timeoutMs: 60_000 });
    await eventually(async () => {
      const rows = await env.psJson(p);
      const a = rows.find((r) => r.Service === 'app');
      return a?.State === 'running' && a.Pid !== app ? true : undefined;
    }, { what: 'app running again', timeoutMs: 60_000 });
    expect(await pidOf('steady')).toBe(steady); // adopted, not restarted
    expect(env.supervisorLog(p.name)).toContain(`watchdog: the supervisor (pid ${sup}) ended without a word`);
    // the new supervisor has its own watchdog, and only that one
    await eventually(() => (watchdogs().length === 1 && env.supervisorPid(p.name) === next) || undefined, { what: 'one watchdog', timeoutMs: 30_000 });
  });

  it('a supervisor started by a CLI right after a kill ends the predecessor\'s watchdog; down ends its own', async () => {
    await eventually(() => watchdogs().length === 1 || undefined, { what: 'a watchdog', timeoutMs: 30_000 });
    const [old] = watchdogs();
    const sup = env.supervisorPid(p.name) ?? 0;
    process.kill(sup, 'SIGKILL');
    await eventually(() => !pidAlive(sup) || undefined, { what: 'the supervisor gone' });
    await env.ok(p, ['up', '-d']); // well within the watchdog's 2 s
    await eventually(() => !pidAlive(old!) || undefined, { what: 'the old watchdog ended', timeoutMs: 30_000 });
    expect(env.supervisorLog(p.name)).not.toContain(`watchdog: the supervisor (pid ${sup})`);
    await eventually(() => watchdogs().length === 1 || undefined, { what: 'the new supervisor\'s watchdog', timeoutMs: 30_000 });
    // a watchdog killed while its supervisor runs is started again
    const [mine] = watchdogs();
    process.kill(mine!, 'SIGKILL'); // the watchdog of this test's supervisor
    await eventually(() => (watchdogs().length === 1 && watchdogs()[0] !== mine) || undefined, { what: 'a new watchdog', timeoutMs: 30_000 });
    await env.ok(p, ['down', '-t', '2']);
    // down answers once the watchdog is gone: nothing of the project, at once
    expect(watchdogs()).toEqual([]);
    await eventually(() => {
      const l = leaksOf(env, p.name);
      return l.length === 0 || undefined;
    }, { what: `nothing left: ${leaksOf(env, p.name).join(', ')}`, timeoutMs: 30_000 });
  });
});
