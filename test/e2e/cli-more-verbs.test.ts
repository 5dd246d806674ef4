/**
 * The everyday Compose verbs besides up/down/ps: version, port, ls, create, pause/unpause, wait, rm,
 * stats, exec -d/--privileged, up --no-deps/--abort-on-container-failure and down --rmi,
 * on busybox stacks through the real CLI, checked against `docker compose`'s documented behaviour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/http.js';
import { REPO, stackEnvWithBusybox } from '../helpers/stack.js';
import { importBusybox } from '../helpers/busybox-image.js';
import { ImageStore } from '../../src/image/store.js';
import { runInPty } from '../helpers/pty-run.js';

const env = stackEnvWithBusybox('verbs');

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

/** Whether the kernel's freezer holds this process: v1 freezer.state, or v2 cgroup.events. */
function frozen(pid: number): boolean {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:freezer:/.test(l));
  if (v1) {
    const path = v1.split(':')[2] ?? '';
    try {
      return readFileSync(`/sys/fs/cgroup/freezer${path}/freezer.state`, 'utf8').trim() === 'FROZEN';
    } catch {
      return false;
    }
  }
  const v2 = lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '';
  const root = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(' - cgroup2 '))?.split(' ')[4] ?? '/sys/fs/cgroup';
  return /^frozen 1$/m.test(readFileSync(`${root}${v2}/cgroup.events`, 'utf8'));
}

describe('version', () => {
  it('prints the version as docker compose version does (--short, --format json)', async () => {
    const p = { name: 'none', dir: env.base };
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await env.ok(p, ['version'])).stdout).toBe(`tscompose version v${pkg.version}\n`);
    expect((await env.ok(p, ['version', '--short'])).stdout).toBe(`${pkg.version}\n`);
    expect(JSON.parse((await env.ok(p, ['version', '--format', 'json'])).stdout)).toEqual({ version: `v${pkg.version}` });
  });
});

describe('port, ls, pause/unpause, wait', () => {
  let p: { name: string; dir: string };
  let hostPort: number;

  beforeAll(async () => {
    hostPort = await freePort();
    p = env.project('verbs', `services:
  web:
    image: busybox:latest
    command: ["httpd", "-f", "-p", "80"]
    ports: ["127.0.0.1:${hostPort}:80"]
  worker:
    image: busybox:latest
    command: ${LOOP}
  job:
    image: busybox:latest
    command: ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.2; done; exit 3"]
`);
    await env.ok(p, ['up', '-d']);
  }, 180_000);

  it('port prints HOST:PORT of a published port; unknown ports and services fail', async () => {
    expect((await env.ok(p, ['port', 'web', '80'])).stdout).toBe(`127.0.0.1:${hostPort}\n`);
    expect((await env.ok(p, ['port', '--protocol', 'tcp', '--index', '1', 'web', '80'])).stdout).toBe(`127.0.0.1:${hostPort}\n`);
    const none = await env.run(p, ['port', 'web', '81']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no port 81/tcp');
    expect((await env.run(p, ['port', '--protocol', 'udp', 'web', '80'])).status).toBe(1);
    const unknown = await env.run(p, ['port', 'nope', '80']);
    expect(unknown.stderr).toContain('no such service: nope');
  });

  it('ls lists the running project with running(N) and its compose file; -q, json, --filter name=', async () => {
    const row = await eventually(async () => {
      const rows = JSON.parse((await env.ok(p, ['ls', '--format', 'json'])).stdout) as { Name: string; Status: string; ConfigFiles: string }[];
      return rows.find((r) => r.Name === p.name && r.Status === 'running(3)');
    }, { what: 'ls shows the project running(3)' });
    expect(row?.ConfigFiles).toBe(`${p.dir}/compose.yaml`);
    const table = (await env.ok(p, ['ls'])).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME +STATUS +CONFIG FILES$/);
    expect(table.find((l) => l.startsWith(`${p.name} `))).toMatch(new RegExp(`^${p.name} +running\\(3\\) +${p.dir}/compose.yaml$`));
    expect((await env.ok(p, ['ls', '-q'])).stdout.split('\n')).toContain(p.name);
    expect((await env.ok(p, ['ls', '-q', '--filter', `name=${p.name}`])).stdout).toBe(`${p.name}\n`);
    expect((await env.ok(p, ['ls', '-q', '--filter', 'name=no-such-project-x'])).stdout).toBe('');
    expect((await env.run(p, ['ls', '--filter', 'status=running'])).status).toBe(2);
  });

  it('pause freezes the service (ps: paused), unpause thaws it; ps --status paused selects it', async () => {
    const before = (await env.psJson(p)).find((r) => r.Service === 'worker');
    expect(before?.Pid).toBeGreaterThan(0);
    const r = await env.ok(p, ['pause', 'worker']);
    expect(r.stderr).toContain(`Container ${p.name}-worker-1  Paused`);
    expect(frozen(before?.Pid as number)).toBe(true);
    const rows = await env.psJson(p, false);
    const w = rows.find((x) => x.Service === 'worker');
    expect(w?.State).toBe('paused');
    expect(w?.Status).toMatch(/^Up .* \(Paused\)$/);
    expect(rows.find((x) => x.Service === 'web')?.State).toBe('running');
    expect((await env.ok(p, ['ps', '--status', 'paused', '--services'])).stdout).toBe('worker\n');
    const ex = await env.run(p, ['exec', 'worker', 'true']);
    expect(ex.status).toBe(1);
    expect(ex.stderr).toContain('is paused, unpause the container before exec');
    expect(JSON.parse((await env.ok(p, ['ls', '--format', 'json'])).stdout).find((x: { Name: string }) => x.Name === p.name)?.Status).toBe('paused(1), running(2)');
    const u = await env.ok(p, ['unpause', 'worker']);
    expect(u.stderr).toContain(`Container ${p.name}-worker-1  Unpaused`);
    expect(frozen(before?.Pid as number)).toBe(false);
    expect((await env.psJson(p)).find((x) => x.Service === 'worker')?.State).toBe('running');
  });

  it('a paused service still stops (its stop signal gets through), and starts again', async () => {
    await env.ok(p, ['pause', 'worker']);
    await env.ok(p, ['stop', 'worker']);
    expect((await env.psJson(p)).find((x) => x.Service === 'worker')?.State).toBe('exited');
    await env.ok(p, ['start', 'worker']);
    await eventually(async () => (await env.psJson(p)).find((x) => x.Service === 'worker' && x.State === 'running'), { what: 'worker running again' });
  });

  it('exec -d returns at once, printing nothing, and the command runs on in the background', async () => {
    const r = await env.ok(p, ['exec', '-d', 'worker', 'sh', '-c', 'sleep 1; echo done > /tmp/flag']);
    expect(r.stdout).toBe('');
    await eventually(async () => ((await env.run(p, ['exec', 'worker', 'cat', '/tmp/flag'])).stdout === 'done\n' ? true : undefined), { what: 'the detached command wrote its file' });
  });

  it('exec --privileged gives the command every capability; without it, the container\'s set', async () => {
    const capEff = async (args: string[]): Promise<bigint> => {
      const out = (await env.ok(p, ['exec', ...args, 'worker', 'grep', 'CapEff', '/proc/self/status'])).stdout;
      return BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(out)?.[1] ?? '0'}`);
    };
    // every capability root holds here (a sandboxed host may withhold some from root itself)
    const all = BigInt(`0x${/CapPrm:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
    expect(await capEff(['--privileged'])).toBe(all);
    const normal = await capEff([]);
    expect(normal).not.toBe(all);
    expect(normal & (1n << 21n)).toBe(0n); // CAP_SYS_ADMIN is not among Docker's defaults
  });

  it('stats --no-stream prints docker stats\' table once; --format json one object per container', async () => {
    const table = (await env.ok(p, ['stats', '--no-stream'])).stdout.split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    expect(table.find((l) => l.includes(`${p.name}-worker-1 `))).toMatch(/ \d+\.\d\d% +[\d.]+[KMG]?i?B \/ [\d.]+[KMGT]?i?B +\d+\.\d\d% /);
    const rows = (await env.ok(p, ['stats', '--no-stream', '--format', 'json', 'worker'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ Name: `${p.name}-worker-1` });
    expect(Number(rows[0]?.PIDs)).toBeGreaterThanOrEqual(1);
    expect(rows[0]?.CPUPerc).toMatch(/^\d+\.\d\d%$/);
  });

  it('wait blocks until the service stops and prints its exit code; its status is the container\'s', async () => {
    const job = (await env.psJson(p)).find((x) => x.Service === 'job');
    expect(job?.State).toBe('running');
    const waiting = env.run(p, ['wait', 'job']);
    // the job ends a while later: wait (as Compose's) only takes containers running when it lists them
    await env.ok(p, ['exec', '-d', 'job', 'sh', '-c', 'sleep 8; touch /tmp/go']);
    const r = await waiting;
    expect(r.stdout).toBe(`container "${job?.ID}" exited with status code 3\n`);
    expect(r.status).toBe(3);
    const none = await env.run(p, ['wait', 'job']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`no containers for project "${p.name}"`);
  });
});

describe('create and rm', () => {
  it('create makes the containers without starting them; rm removes stopped ones (-f, -s, -v)', async () => {
    const p = env.project('verbsrm', `services:
  a:
    image: busybox:latest
    command: ${LOOP}
    volumes: ["/data"]
  b:
    image: busybox:latest
    command: ${LOOP}
`);
    const c = await env.ok(p, ['create']);
    expect(c.stderr).toContain(`Container ${p.name}-a-1  Created`);
    let rows = await env.psJson(p);
    expect(rows.map((r) => `${r.Service}:${r.State}`).sort()).toEqual(['a:created', 'b:created']);
    expect(await env.psJson(p, false)).toEqual([]);
    // without -f and without a terminal on stdin nobody can be asked: it goes ahead, as the list says
    const rm = await env.ok(p, ['rm', 'a']);
    expect(rm.stdout).toBe(`Going to remove ${p.name}-a-1\n`);
    expect(rm.stderr).toContain(`Container ${p.name}-a-1  Removed`);
    rows = await env.psJson(p);
    expect(rows.map((r) => r.Service)).toEqual(['b']);
    expect((await env.ok(p, ['volume', 'ls', '-q'])).stdout.trim()).not.toBe('');

    await env.ok(p, ['up', '-d']);
    await eventually(async () => (await env.psJson(p, false)).length === 2 || undefined, { what: 'a and b running' });
    const nothing = await env.ok(p, ['rm', '-f']);
    expect(nothing.stderr).toContain('No stopped containers');
    expect((await env.psJson(p)).length).toBe(2);

    const vols = async (): Promise<string[]> => (await env.ok(p, ['volume', 'ls', '-q'])).stdout.trim().split('\n').filter(Boolean);
    const before = await vols();
    const stopAndRemove = await env.ok(p, ['rm', '-s', '-f', '-v', 'a']);
    // -v: a-1's anonymous volume went with it (the one left by the first rm stays, dangling)
    expect((await vols()).length).toBe(before.length - 1);
    expect(stopAndRemove.stdout).toBe(`Going to remove ${p.name}-a-1\n`);
    expect(stopAndRemove.stderr).toContain(`Container ${p.name}-a-1  Removed`);
    rows = await env.psJson(p);
    expect(rows.map((r) => `${r.Service}:${r.State}`)).toEqual(['b:running']);
    // the supervisor does not bring a removed service back by itself; up does
    await env.ok(p, ['stop', 'b']);
    await env.ok(p, ['rm', '-f']);
    expect(await env.psJson(p)).toEqual([]);
    await env.ok(p, ['up', '-d']);
    await eventually(async () => (await env.psJson(p, false)).length === 2 || undefined, { what: 'up brings both back' });
  });
});

describe('up --no-deps', () => {
  it('starts the named service only, not what it depends on', async () => {
    const p = env.project('verbsnodeps', `services:\n  db:\n    image: busybox:latest\n    command: ${LOOP}\n  web:\n    image: busybox:latest\n    command: ${LOOP}\n    depends_on: [db]\n`);
    await env.ok(p, ['up', '-d', '--no-deps', 'web']);
    expect((await env.psJson(p)).map((r) => `${r.Service}:${r.State}`)).toEqual(['web:running']);
    await env.ok(p, ['up', '-d', 'web']);
    expect((await env.psJson(p)).map((r) => `${r.Service}:${r.State}`).sort()).toEqual(['db:running', 'web:running']);
  });
});

describe('up --abort-on-container-failure', () => {
  it('a clean exit does not stop the stack; the first failure does, and is up\'s status', async () => {
    const p = env.project('verbsfail', `services:
  ok:
    image: busybox:latest
    command: ["sh", "-c", "echo fine; exit 0"]
  bad:
    image: busybox:latest
    command: ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.2; done; exit 4"]
  loop:
    image: busybox:latest
    command: ${LOOP}
`);
    const up = env.run(p, ['up', '--abort-on-container-failure']);
    await eventually(async () => ((await env.psJson(p)).find((r) => r.Service === 'ok' && r.State === 'exited') ? true : undefined), { what: 'ok exited', timeoutMs: 60_000 });
    await eventually(async () => ((await env.psJson(p, false)).some((r) => r.Service === 'bad') ? true : undefined), { what: 'bad running' });
    await env.ok(p, ['exec', 'bad', 'touch', '/tmp/go']);
    const r = await up;
    expect(r.status).toBe(4);
    expect(r.stdout).toContain('ok-1 exited with code 0');
    expect(r.stdout).toContain('bad-1 exited with code 4');
    expect(await env.psJson(p, false)).toEqual([]);
  });
});

describe('rm at a terminal', () => {
  it('asks before removing: no keeps the containers, yes removes them', async () => {
    const p = env.project('verbsask', `services:\n  c:\n    image: busybox:latest\n    command: ${LOOP}\n`);
    await env.ok(p, ['create']);
    const rm = (answer: string): Promise<{ code: number; out: string; pending: number }> =>
      runInPty([process.execPath, `${REPO}/bin/tscompose.js`, '-p', p.name, 'rm'], [{ waitFor: '(y/N)', send: `${answer}\r` }], { env: env.env, cwd: p.dir, timeoutMs: 120_000 });
    const no = await rm('n');
    expect(no.out).toContain(`Going to remove ${p.name}-c-1`);
    expect(no.code).toBe(0);
    expect((await env.psJson(p)).length).toBe(1);
    const yes = await rm('y');
    expect(yes.code).toBe(0);
    expect(yes.pending).toBe(0);
    expect(await env.psJson(p)).toEqual([]);
  });
});

describe('down --rmi', () => {
  it('local keeps tagged images; all removes the services\' images, except one still in use elsewhere', async () => {
    const tag = `rmi${process.pid}:one`;
    const other = `rmi${process.pid}:two`;
    await importBusybox(new ImageStore({ root: env.root }), tag);
    await importBusybox(new ImageStore({ root: env.root }), other);
    const yaml = (image: string): string => `services:\n  a:\n    image: ${image}\n    command: ${LOOP}\n`;
    const images = async (): Promise<string> => (await env.ok({ name: 'none', dir: env.base }, ['image', 'ls'])).stdout;
    const p = env.project('rmi', yaml(tag));
    await env.ok(p, ['up', '-d']);
    await env.ok(p, ['down', '--rmi', 'local', '-t', '1']);
    expect(await images()).toContain(`rmi${process.pid}`);
    await env.ok(p, ['up', '-d']);
    const d = await env.ok(p, ['down', '--rmi', 'all', '-t', '1']);
    expect(d.stderr).toContain(`Image ${tag}  Removed`);
    expect(await images()).not.toMatch(new RegExp(`rmi${process.pid} +one`));
    // an image another project's container uses stays, with a warning
    const user = env.project('rmiuser', yaml(other));
    const q = env.project('rmiq', yaml(other));
    await env.ok(user, ['up', '-d']);
    await env.ok(q, ['up', '-d']);
    const w = await env.ok(q, ['down', '--rmi', 'all', '-t', '1']);
    expect(w.stderr).toContain(`Image ${other}: Resource is still in use`);
    expect(await images()).toMatch(new RegExp(`rmi${process.pid} +two`));
    expect((await env.run(q, ['down', '--rmi', 'some'])).status).toBe(2);
  });
});
