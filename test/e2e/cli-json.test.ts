/**
 * `--json` where a machine reads the output: as `--format json` on the verbs that print rows or documents
 * (ps, ls, images, version, config, ...) and as `--progress json` (one event object per line) on those
 * that change containers (up, down, scale, stop, ...).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('json');
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('json', 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n');
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
