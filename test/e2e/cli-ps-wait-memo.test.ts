/**
 * CLI behaviour a Compose user sees, on real stacks: `ps --format json` Networks/Mounts/LocalVolumes,
 * `up --wait` saying Waiting then Healthy, and a compose file broken after valid loads (whose validation
 * the CLI remembers) still refused with the same located error by `up` and `down`.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePsJson, stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('cliwait');
const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]`;

describe('ps --format json networks and mounts', () => {
  it('lists the networks (sorted names), the mounts (volume names, bind sources) and the count of local volumes', async () => {
    const p = env.project('psdet', `services:
  app:
    image: busybox:latest
    command: ${LOOP}
    volumes: ["appdata:/data", "./host:/host", "/anon"]
    networks: [front, back]
  solo:
    image: busybox:latest
    command: ${LOOP}
volumes:
  appdata: {}
networks:
  front: {}
  back: {name: back-${process.pid}}
`);
    mkdirSync(join(p.dir, 'host'));
    await env.ok(p, ['up', '-d']);
    const rows = parsePsJson((await env.ok(p, ['ps', '--no-trunc', '--format', 'json'])).stdout);
    const app = rows.find((r) => r.Service === 'app');
    const solo = rows.find((r) => r.Service === 'solo');
    expect(app?.Networks).toBe([`back-${process.pid}`, `${p.name}_front`].sort().join(','));
    const mounts = String(app?.Mounts).split(',');
    expect(mounts.slice(0, 2)).toEqual([`${p.name}_appdata`, join(p.dir, 'host')]);
    expect(mounts[2]).toMatch(/^[0-9a-f]{64}$/); // the anonymous volume, by its name
    expect(app?.LocalVolumes).toBe('2');
    expect(solo).toMatchObject({ Networks: `${p.name}_default`, Mounts: '', LocalVolumes: '0' });
    // truncated as Compose's ContainerContext: each name at most 15 characters
    const short = parsePsJson((await env.ok(p, ['ps', '--format', 'json', 'app'])).stdout)[0];
    expect(String(short?.Mounts).split(',').every((m) => [...m].length <= 15)).toBe(true);
    await env.ok(p, ['down', '-v']);
  });
});

describe('up --wait', () => {
  it('reports each container Waiting, then Healthy (with or without a healthcheck)', async () => {
    const p = env.project('wait', `services:
  checked:
    image: busybox:latest
    command: ${LOOP}
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  plain:
    image: busybox:latest
    command: ${LOOP}
`);
    const lines = (r: { stderr: string }): string[] => r.stderr.split('\n').filter((l) => / Container .* (Waiting|Healthy|Running)$/.test(l)).map((l) => l.trim());
    const first = lines(await env.ok(p, ['--progress', 'plain', 'up', '--wait']));
    const names = [`${p.name}-checked-1`, `${p.name}-plain-1`];
    for (const n of names) {
      expect(first).toContain(`Container ${n}  Waiting`);
      expect(first).toContain(`Container ${n}  Healthy`);
      expect(first.indexOf(`Container ${n}  Waiting`)).toBeLessThan(first.indexOf(`Container ${n}  Healthy`));
    }
    expect(first.filter((l) => l.endsWith('Running'))).toEqual([]);
    // again: up to date (Running, as Compose), then the wait
    const again = lines(await env.ok(p, ['--progress', 'plain', 'up', '--wait']));
    for (const n of names) expect(again.slice(again.indexOf(`Container ${n}  Running`))).toContain(`Container ${n}  Healthy`);
    await env.ok(p, ['down']);
  });
});

describe('remembered validation', () => {
  it('a compose file broken after valid loads is still refused, with its located error, by up and by down', async () => {
    const good = `services:\n  web:\n    image: busybox:latest\n    command: ${LOOP}\n`;
    const p = env.project('memo', good);
    await env.ok(p, ['up', '-d']);
    await env.ok(p, ['ps']);
    expect(readdirSync(join(env.root, 'cache', 'spec')).length).toBeGreaterThan(0);
    env.writeCompose(p.dir, `${good}    restart: sometimes\n`);
    for (const verb of [['up', '-d'], ['down']]) {
      const r = await env.run(p, verb);
      expect(r.status).toBe(15);
      expect(r.stderr).toMatch(/compose\.yaml:5:\d+: services\.web\.restart/);
    }
    // nothing was taken down by the refused `down`
    expect((await env.psJson(p)).map((r) => r.State)).toEqual(['running']);
    env.writeCompose(p.dir, good);
    await env.ok(p, ['down']);
    expect(existsSync(join(env.root, 'projects', p.name))).toBe(false);
  });
});
