import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { StackEnv, leaksOf } from '../helpers/stack.js';
import { NativeRuntime } from '../../src/runtime/native-runtime.js';

const YAML = `services:
  svc:
    image: busybox:latest
    network_mode: none
    environment:
      FROM_FILE: file
    working_dir: /etc
`;

let env: StackEnv;
let p: { name: string; dir: string };

beforeAll(async () => {
  env = new StackEnv('rtrun');
  await env.importBusybox();
  p = env.project('rtrun', YAML);
});

afterAll(async () => {
  const rt = new NativeRuntime({ root: env.root, runtimeRoot: join(env.runDir, 'runtime') });
  // one-offs are ours; service containers go with `down` (through the supervisor) in env.cleanup
  for (const c of await rt.list().catch(() => [])) {
    if (c.labels['com.docker.compose.oneoff'] === 'True') await rt.remove(c.id, { force: true }).catch(() => undefined);
  }
  await env.cleanup();
});

describe('tscompose run', () => {
  it('runs a one-off command in the foreground and exits with its status; --rm removes it', async () => {
    const before = existsSync(join(env.root, 'containers')) ? readdirSync(join(env.root, 'containers')).length : 0;
    const r = await env.run(p, ['run', '--rm', 'svc', 'sh', '-c', 'echo hello $FROM_FILE $(pwd); echo oops >&2; exit 3']);
    expect(r.stdout).toBe('hello file /etc\n');
    expect(r.stderr).toContain('oops');
    expect(r.status).toBe(3);
    const after = existsSync(join(env.root, 'containers')) ? readdirSync(join(env.root, 'containers')).length : 0;
    expect(after).toBe(before);
  });

  it('-e, -w, -u and --entrypoint override the service', async () => {
    const r = await env.run(p, ['run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'www', 'svc', 'sh', '-c', 'echo $FOO $(pwd) $(id -u)']);
    expect(r).toEqual({ status: 0, stdout: 'bar /tmp 33\n', stderr: '' });
    const e = await env.run(p, ['run', '--rm', '--entrypoint', 'echo from-entrypoint', 'svc']);
    expect(e).toEqual({ status: 0, stdout: 'from-entrypoint\n', stderr: '' });
  });

  it('-d starts it in the background and prints its name; without --rm it stays listed', async () => {
    const r = await env.run(p, ['run', '-d', 'svc', 'sleep', '600']);
    expect(r.status).toBe(0);
    const name = r.stdout.trim();
    expect(name).toMatch(new RegExp(`^${p.name}-svc-run-[0-9a-f]{12}$`));
    const rt = new NativeRuntime({ root: env.root, runtimeRoot: join(env.runDir, 'runtime') });
    const c = (await rt.list({ project: p.name })).find((x) => x.name === name);
    expect(c?.status).toBe('running');
    expect(c?.labels['com.docker.compose.oneoff']).toBe('True');
    await rt.remove(c?.id as string, { force: true });
  });

  it('down removes containers left by run (as Compose), with their network', async () => {
    const q = env.project('rtrundown', `services:
  web:
    image: busybox:latest
    command: ["sleep", "600"]
`);
    await env.ok(q, ['up', '-d']);
    const r = await env.run(q, ['run', '-d', 'web', 'sleep', '600']);
    expect(r.status, r.stderr).toBe(0);
    const rt = new NativeRuntime({ root: env.root, runtimeRoot: join(env.runDir, 'runtime') });
    expect((await rt.list({ project: q.name })).map((c) => c.name).sort()).toEqual([`${q.name}-web-1`, r.stdout.trim()].sort());
    await env.ok(q, ['down', '-t', '1']);
    expect(await rt.list({ project: q.name })).toEqual([]);
    // the supervisor and the shims exit right after down answers
    await eventually(() => (leaksOf(env, q.name).length === 0 ? true : undefined), { what: `nothing of ${q.name} left: ${leaksOf(env, q.name).join(', ')}`, timeoutMs: 30_000 });
  });

  it('starts the dependencies first, unless --no-deps', async () => {
    const deps = `services:
  db:
    image: busybox:latest
    network_mode: none
    command: sleep 600
  app:
    image: busybox:latest
    network_mode: none
    depends_on: [db]
`;
    const rt = new NativeRuntime({ root: env.root, runtimeRoot: join(env.runDir, 'runtime') });
    const running = async (name: string) =>
      (await rt.list({ project: name })).filter((c) => c.service === 'db' && c.status === 'running' && c.labels['com.docker.compose.oneoff'] !== 'True');
    const q = env.project('rtrunnodeps', deps);
    expect(await env.run(q, ['run', '--rm', '--no-deps', 'app', 'true'])).toMatchObject({ status: 0 });
    expect(await running(q.name)).toHaveLength(0);
    const d = env.project('rtrundeps', deps);
    const r = await env.run(d, ['run', '--rm', 'app', 'echo', 'ran']);
    expect(r, env.supervisorLog(d.name)).toMatchObject({ status: 0, stdout: 'ran\n' });
    expect((await running(d.name)).map((c) => c.service), env.supervisorLog(d.name)).toEqual(['db']);
  });

  it('an unknown service is an error', async () => {
    const r = await env.run(p, ['run', 'nope', 'true']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no such service: nope');
  });
});
