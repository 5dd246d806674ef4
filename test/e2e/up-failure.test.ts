/**
 * An `up` that cannot get an image fails without changing what runs (as Compose, which pulls before it
 * makes anything): a first up leaves no network, volume, state or supervisor behind; an up of a running
 * project keeps its containers running, and the controller does not go on trying afterwards (it used to
 * recreate the running service into the missing image in the background, removing it). A service built
 * from `build:` is never pulled: the error says it must be built. Only loopback is contacted: the
 * unpullable image's registry is a closed port on 127.0.0.1.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leaksOf, stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('upfail');
const sleeper = (name: string, image = 'busybox:latest'): string => `  ${name}:\n    image: ${image}\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]\n`;

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const volumesOf = (project: string): string[] => {
  const d = join(env.root, 'volumes');
  return existsSync(d) ? readdirSync(d).filter((v) => v.startsWith(`${project}_`)) : [];
};
const networkState = (project: string): boolean => existsSync(join(env.root, 'network', `${project}.json`));

describe('up that cannot get an image', () => {
  it('a first up leaves nothing behind: no container, network, volume, state or supervisor', async () => {
    const bad = `127.0.0.1:${await closedPort()}/nope:1`;
    const p = env.project('upf', `services:\n${sleeper('good')}${sleeper('bad', bad)}    volumes: ["data:/data"]\nvolumes:\n  data: {}\n`);
    const r = await env.run(p, ['--progress', 'plain', 'up', '-d']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('nope');
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    // listed as soon as up returned
    expect(leaksOf(env, p.name)).toEqual([]);
    expect(volumesOf(p.name)).toEqual([]);
    expect(networkState(p.name)).toBe(false);
    expect(env.supervisorPid(p.name)).toBeUndefined();
    expect(existsSync(join(env.runDir, 'supervisor', `${p.name}.sock`))).toBe(false);
    const ps = await env.psJson(p);
    expect(ps).toEqual([]);
  }, 120_000);

  it('a first up of a project with a one-off container (run -d) keeps that container and its network', async () => {
    const p = env.project('upo', `services:\n${sleeper('a')}`);
    const run = await env.ok(p, ['run', '-d', 'a', 'sleep', '60']);
    const oneOff = run.stdout.trim();
    const bad = `127.0.0.1:${await closedPort()}/nope:3`;
    env.writeCompose(p.dir, `services:\n${sleeper('a')}${sleeper('b', bad)}`);
    const r = await env.run(p, ['up', '-d']);
    expect(r.status).not.toBe(0);
    const ps = await env.psJson(p);
    expect(ps.map((c) => [c.Name, c.State])).toEqual([[oneOff, 'running']]);
    expect(networkState(p.name)).toBe(true);
    await env.ok(p, ['down', '--remove-orphans', '-t', '1']);
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 120_000);

  it('an up of a running project keeps its containers, and nothing retries the pull afterwards', async () => {
    const p = env.project('upr', `services:\n${sleeper('web')}${sleeper('worker')}`);
    await env.ok(p, ['up', '-d']);
    const before = await env.psJson(p);
    expect(before.map((c) => c.State)).toEqual(['running', 'running']);
    const bad = `127.0.0.1:${await closedPort()}/nope:2`;
    env.writeCompose(p.dir, `services:\n${sleeper('web', bad)}${sleeper('worker')}`);
    const r = await env.run(p, ['up', '-d']);
    expect(r.status).not.toBe(0);
    // the controller's timer passes run at least every few seconds: give them time to (wrongly) act
    await new Promise((res) => setTimeout(res, 6_000));
    const after = await env.psJson(p);
    expect(after.map((c) => [c.Name, c.ID, c.State])).toEqual(before.map((c) => [c.Name, c.ID, 'running']));
    expect(env.supervisorLog(p.name)).not.toMatch(/create .*web.* failed/);
    // the file fixed: up converges as usual
    env.writeCompose(p.dir, `services:\n${sleeper('web')}${sleeper('worker')}`);
    const again = await env.ok(p, ['up', '-d']);
    expect(again.stderr + again.stdout).not.toMatch(/Recreate/);
    await env.ok(p, ['down', '-t', '1']);
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 120_000);

  it('a service built from build: is not pulled: up says it must be built, pull skips it', async () => {
    const p = env.project('upb', `services:\n  app:\n    build: .\n${sleeper('other')}`);
    const r = await env.run(p, ['up', '-d']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/service "app" is built from .* \(build:\), and tscompose does not build images yet/);
    expect(r.stderr).not.toMatch(/registry|getaddrinfo|docker\.io/);
    // --build is taken (a Compose habit), and says the same
    const b = await env.run(p, ['up', '--build', '-d']);
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/service "app" is built from .* \(build:\), and tscompose does not build images yet/);
    expect(leaksOf(env, p.name)).toEqual([]);
    expect(env.supervisorPid(p.name)).toBeUndefined();
    const pull = await env.run(p, ['--progress', 'plain', 'pull', '--ignore-pull-failures', 'app']);
    expect(pull.status).toBe(0);
    expect(pull.stderr + pull.stdout).not.toMatch(/Pulling|Error/);
    expect(pull.stderr).toMatch(/app +Skipped - No image to be pulled/);
  }, 120_000);
});

describe('up of a service whose command does not exist', () => {
  it('fails with runc\'s words, each time it is asked, while the other services run; run exits 127', async () => {
    const p = env.project('upx', `services:\n${sleeper('good')}  bad:\n    image: busybox:latest\n    command: ["no-such-command", "x"]\n`);
    for (let i = 0; i < 2; i++) {
      const r = await env.run(p, ['--progress', 'plain', 'up', '-d']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
      expect(r.stderr).not.toMatch(/^\s+at /m);
      const ps = await env.psJson(p);
      expect(ps.map((c) => [c.Service, c.State])).toEqual([['good', 'running']]);
    }
    const run = await env.run(p, ['run', '--rm', 'bad']);
    expect(run.status).toBe(127);
    expect(run.stderr).toContain('executable file not found in $PATH');
    expect((await env.run(p, ['run', '--rm', 'good', '/etc/passwd'])).status).toBe(126);
    await env.ok(p, ['down', '-t', '1']);
    expect(leaksOf(env, p.name)).toEqual([]);
  }, 120_000);
});
