/**
 * Restart policies on a PID 1 that exits, through the real CLI: each policy restarts (or not) as Compose
 * does, a restart is a fresh container, the delays between restarts grow (exponential back-off), and a
 * stopped container is never restarted by policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { REPO, StackEnv } from '../helpers/stack.js';

const env = new StackEnv('rst');
let p: { name: string; dir: string };
let events: ChildProcess | undefined;
const seen: { time: string; action: string; service: string; id: string }[] = [];

const svc = (restart: string, script: string): string => `    image: busybox:latest
    network_mode: none
    restart: "${restart}"
    command: ["sh", "-c", "${script}"]`;

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('rst', `services:
  always:
${svc('always', 'sleep 0.2; exit 1')}
  onfail:
${svc('on-failure:2', 'exit 2')}
  cleanexit:
${svc('on-failure', 'exit 0')}
  never:
${svc('no', 'exit 1')}
  unless:
${svc('unless-stopped', "trap 'exit 0' TERM; sleep 0.3; exit 5")}
`);
  events = spawn(process.execPath, [join(REPO, 'bin/tscompose.js'), '-p', p.name, 'events', '--json'], { cwd: p.dir, env: env.env, stdio: ['ignore', 'pipe', 'ignore'] });
  let buf = '';
  events.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      seen.push(JSON.parse(buf.slice(0, i)) as (typeof seen)[number]);
      buf = buf.slice(i + 1);
    }
  });
  await env.ok(p, ['up', '-d']);
});

afterAll(async () => {
  events?.kill('SIGTERM');
  await env.cleanup();
});

const row = async (service: string) => (await env.psJson(p)).find((r) => r.Service === service);
const restarts = (r: { Labels?: Record<string, string> } | undefined): number => Number(r?.Labels?.['org.tscompose.restart-count'] ?? 0);

describe('restart policies', () => {
  it('"always" restarts a PID 1 that exits, each time in a fresh container', async () => {
    const ids = new Set<string>();
    await eventually(async () => {
      const r = await row('always');
      if (r) ids.add(r.ID);
      return restarts(r as never) >= 3 && ids.size >= 2;
    }, { what: 'three restarts', timeoutMs: 60_000 });
  });

  it('the delay between restarts grows (exponential back-off)', async () => {
    // gaps between a `die` and the next `start` of the "always" service: 100 ms, 200, 400, 800, 1600, ...
    const gaps = await eventually(() => {
      const ev = seen.filter((e) => e.service === 'always' && (e.action === 'die' || e.action === 'start'));
      const g: number[] = [];
      for (let i = 1; i < ev.length; i++) {
        if (ev[i - 1]?.action === 'die' && ev[i]?.action === 'start') g.push(Date.parse(ev[i]?.time ?? '') - Date.parse(ev[i - 1]?.time ?? ''));
      }
      return g.length >= 6 ? g : undefined;
    }, { what: 'six restarts seen as events', timeoutMs: 90_000 });
    // A loaded host only lengthens gaps, so each gap is checked against its back-off as a lower bound
    // (100 ms doubling: the k-th restart waits at least 100·2^k ms after the die was seen), never against
    // an upper bound or another measured gap. gap[5] >= 3.2 s shows the growth; a spinning loop would
    // restart within milliseconds. 10 ms of slack for the events' timestamp resolution.
    console.log(`restart gaps (ms): ${gaps.join(', ')}`);
    for (let k = 0; k < 6; k++) expect(gaps[k], `gap ${k} of ${gaps.join(', ')}`).toBeGreaterThanOrEqual(100 * 2 ** k - 10);
  });

  it('"on-failure:2" restarts a failing PID 1 twice, then gives up', async () => {
    await eventually(async () => {
      const r = await row('onfail');
      return r?.State === 'exited' && restarts(r as never) === 2;
    }, { what: 'onfail gave up after 2', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 3000));
    const r = await row('onfail');
    expect(r?.State).toBe('exited');
    expect(restarts(r as never)).toBe(2);
    expect(r?.ExitCode).toBe(2);
  });

  it('"on-failure" leaves a clean exit alone and "no" never restarts', async () => {
    for (const s of ['cleanexit', 'never']) {
      const r = await eventually(async () => {
        const x = await row(s);
        return x?.State === 'exited' ? x : undefined;
      }, { what: `${s} exited` });
      expect(restarts(r as never)).toBe(0);
    }
    const ids = [(await row('cleanexit'))?.ID, (await row('never'))?.ID];
    await new Promise((r) => setTimeout(r, 3000));
    expect([(await row('cleanexit'))?.ID, (await row('never'))?.ID]).toEqual(ids);
    expect((await row('never'))?.ExitCode).toBe(1);
  });

  it('"unless-stopped" restarts, but not after stop', async () => {
    await eventually(async () => restarts((await row('unless')) as never) >= 1, { what: 'unless restarted', timeoutMs: 60_000 });
    await env.ok(p, ['stop', 'unless']);
    const stopped = await row('unless');
    expect(stopped?.State).toBe('exited');
    await new Promise((r) => setTimeout(r, 6000));
    const later = await row('unless');
    expect(later?.ID).toBe(stopped?.ID);
    expect(later?.State).toBe('exited');
  });
});
