/**
 * The supervisor starts from dist/supervisor/main.cjs (src/supervisor/boot.ts): its CommonJS bundle through a
 * V8 code cache in $TSCOMPOSE_ROOT/cache/supervisor, private as the CLI's; the ESM dist/supervisor/main.js
 * when the bundles are not of that build (tsc rebuilt dist/). Either way `up` and `down` work as before.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { processesUnder, REPO, StackEnv } from '../helpers/stack.js';

const env = new StackEnv('svcache');
afterAll(async () => {
  await env.cleanup();
});

const YAML = 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n';
const logOf = (name: string): string => readFileSync(join(env.root, 'projects', name, 'supervisor.log'), 'utf8');

describe('the supervisor\'s code cache', () => {
  it('is written private under the state root by a supervisor, and the next supervisor starts from it', async () => {
    await env.importBusybox();
    const cache = join(env.root, 'cache', 'supervisor');
    const first = env.project('svcache', YAML);
    await env.ok(first, ['up', '-d']);
    expect(logOf(first.name)).toMatch(/code cache (miss|rejected)/);
    await env.ok(first, ['down', '-t', '1']);
    // written at the latest when that supervisor exits (after down was answered)
    await eventually(() => existsSync(cache) && readdirSync(cache).some((f) => f.startsWith('supervisor.cjs-')), { what: 'the supervisor wrote its code cache', timeoutMs: 60_000 });
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const files = readdirSync(cache).filter((f) => f.startsWith('supervisor.cjs-'));
    expect(files).toHaveLength(1);
    expect(statSync(join(cache, files[0]!)).mode & 0o777).toBe(0o600);

    const second = env.project('svcache', YAML);
    await env.ok(second, ['up', '-d']);
    expect(logOf(second.name)).toContain('code cache hit');
    expect((await env.psJson(second)).map((r) => [r.Name, r.State])).toEqual([[`${second.name}-app-1`, 'running']]);
    await env.ok(second, ['down', '-t', '1']);
    expect(existsSync(join(env.root, 'projects', second.name))).toBe(false);
  });

  it('runs the ESM supervisor when dist/cjs is not of the dist/supervisor/main.js there (tsc rebuilt it)', async () => {
    await env.importBusybox();
    const copy = join(env.base, 'copy');
    mkdirSync(copy);
    cpSync(join(REPO, 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(REPO, 'dist'), join(copy, 'dist'), { recursive: true, preserveTimestamps: true });
    for (const f of ['package.json', 'node_modules', 'schemas', 'native']) symlinkSync(join(REPO, f), join(copy, f));
    const manifest = join(copy, 'dist/cjs/manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { supervisor: { mtimeMs: number } };
    writeFileSync(manifest, JSON.stringify({ ...m, supervisor: { ...m.supervisor, mtimeMs: m.supervisor.mtimeMs - 1 } }));
    // a broken CommonJS bundle shows that it is not what runs
    writeFileSync(join(copy, 'dist/cjs/supervisor.cjs'), 'throw new Error("stale supervisor bundle ran");\n');
    const p = env.project('svesm', YAML);
    const r = spawnSync(join(copy, 'bin/tscompose'), ['-p', p.name, '--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: env.env, encoding: 'utf8' });
    expect(r.status, `${r.stderr}\n${env.supervisorLog(p.name)}`).toBe(0);
    expect(logOf(p.name)).toContain('code cache none (ESM)');
    expect((await env.psJson(p)).map((x) => [x.Name, x.State])).toEqual([[`${p.name}-app-1`, 'running']]);
    await env.ok(p, ['down', '-t', '1']);
    await eventually(() => processesUnder(copy).length === 0, { what: 'no supervisor of the copy left', timeoutMs: 60_000 });
  });
});
