/**
 * What a program (or a person) reads of the verbs' output: `--json` where a machine reads it, as
 * `--format json` on the verbs that print rows or documents (ps, ls, images, version, config, ...) and as
 * `--progress json` (one event object per line) on those that change containers (up, down, scale, stop,
 * ...); and plain progress in Compose's steps (Creating, Created, Starting, Started; Recreate, Recreated;
 * Running for what an `up` leaves alone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('json');
let p: { name: string; dir: string };
let q: { name: string; dir: string };
// PID 1s that take TERM (a bare sleep as PID 1 ignores it: each recreate would wait out the grace period)
const twoServices = (secs: string): string => `services:\n  app:\n    image: busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep ${secs} & wait"]\n  other:\n    image: busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n`;

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('json', 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n');
  q = env.project('steps', twoServices('3600'));
});

afterAll(async () => {
  await env.cleanup();
});

/** The JSON objects a command printed, one per line, on either stream (progress goes to stderr). */
const objects = (r: { stdout: string; stderr: string }): Record<string, unknown>[] =>
  `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('--json', () => {
  it('up, stop and down report their progress as JSON events', async () => {
    const up = await env.ok(p, ['up', '-d', '--json']);
    expect(objects(up)).toContainEqual({ id: `Container ${p.name}-app-1`, status: 'Started' });
    const stop = await env.ok(p, ['stop', '-t', '1', '--json']);
    expect(objects(stop)).toContainEqual({ id: `Container ${p.name}-app-1`, status: 'Stopped' });
    await env.ok(p, ['start']);
  });

  it('ps, ls and version print JSON, as --format json', async () => {
    const ps = await env.ok(p, ['ps', '--json']);
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; State: string });
    expect(rows.map((r) => [r.Name, r.State])).toEqual([[`${p.name}-app-1`, 'running']]);
    // --json wins over a --format given with it
    expect(JSON.parse((await env.ok(p, ['ps', '--format', 'table', '--json'])).stdout.trim().split('\n')[0]!)).toMatchObject({ Name: `${p.name}-app-1` });
    const ls = JSON.parse((await env.ok(p, ['ls', '--json'])).stdout) as { Name: string }[];
    expect(ls.map((x) => x.Name)).toContain(p.name);
    expect(JSON.parse((await env.ok(p, ['version', '--json'])).stdout)).toHaveProperty('version');
    const down = await env.ok(p, ['down', '-t', '1', '--json']);
    expect(objects(down)).toContainEqual({ id: `Container ${p.name}-app-1`, status: 'Removed' });
  });
});

describe('plain progress', () => {
  /** The `Resource  Status` lines a verb printed for one resource, in order. */
  const steps = (stderr: string, resource: string): string[] =>
    stderr.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(`${resource}  `)).map((l) => l.slice(resource.length).trim());

  it('says Compose\'s steps: Creating, Created, Starting, Started; Recreate, Recreated; Running for what up leaves alone', async () => {
    const up = await env.ok(q, ['--progress', 'plain', 'up', '-d']);
    expect(steps(up.stderr, `Network ${q.name}_default`)).toEqual(['Creating', 'Created']);
    expect(steps(up.stderr, `Container ${q.name}-app-1`)).toEqual(['Creating', 'Created', 'Starting', 'Started']);
    env.writeCompose(q.dir, twoServices('3601'));
    const again = await env.ok(q, ['--progress', 'plain', 'up', '-d']);
    expect(steps(again.stderr, `Container ${q.name}-app-1`)).toEqual(['Recreate', 'Recreated', 'Starting', 'Started']);
    expect(steps(again.stderr, `Container ${q.name}-other-1`)).toEqual(['Running']);
    await env.ok(q, ['down', '-t', '1']);
  });
});

describe('events --since / --until', () => {
  it('--since replays what happened, --until ends the stream (at once when it is past)', async () => {
    const r = env.project('evwin', twoServices('3600'));
    await env.ok(r, ['up', '-d']);
    await env.ok(r, ['restart', 'app']);
    const past = await env.ok(r, ['events', '--json', '--since', '5m', '--until', new Date(Date.now() + 200).toISOString()]);
    const actions = objects(past).filter((e) => (e.attributes as { name: string }).name === `${r.name}-app-1`).map((e) => e.action);
    expect(actions).toEqual(['create', 'start', 'die', 'destroy', 'create', 'start']);
    // without --since nothing is replayed; an --until already past ends it with nothing printed
    expect((await env.ok(r, ['events', '--json', '--until', '1s'])).stdout).toBe('');
    await env.ok(r, ['down', '-t', '1']);
    // a down with nothing to remove leaves no state either (its journal write used to land after the unlink)
    for (let i = 0; i < 3; i++) {
      await env.ok(r, ['down']);
      await eventually(() => !existsSync(join(env.root, 'projects', r.name)) || undefined, { what: 'no project directory after down', timeoutMs: 10_000 });
    }
  });
});
