import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeRuntime } from '../../src/runtime/native-runtime.js';
import type { ContainerCreateRequest } from '../../src/runtime/api.js';
import type { Service } from '../../src/spec/model.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { makeImage, makeService, uniqueId } from '../helpers/runtime-fixtures.js';
import { removeCgroups } from '../../src/runtime/container-remove.js';

let base: string;
let rt: NativeRuntime;
let rootfs: string;
const made: string[] = [];
const PROJECT = `rtlife${process.pid}`;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), `tsc-rt-life-${process.pid}-`));
  rt = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run', 'runtime') });
  rootfs = busyboxRootfs();
});

afterEach(async () => {
  for (const id of made.splice(0)) await rt.remove(id, { force: true }).catch(() => undefined);
});

afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await removeCgroups(`tscompose/${PROJECT}`); // the project's parent, whatever a failed test left
});

function request(spec: Partial<Service>, over: Partial<ContainerCreateRequest> = {}): ContainerCreateRequest {
  const id = uniqueId('life');
  made.push(id);
  return { id, name: `p-${id}`, project: PROJECT, service: 'svc', number: 1, spec: makeService(spec), image: makeImage([rootfs]), mounts: [], labels: { a: 'b' }, ...over };
}

describe('NativeRuntime lifecycle', () => {
  it('create → start → wait reports the exit code; logs land in the log file', async () => {
    const req = request({ command: ['sh', '-c', 'echo out-line; echo err-line >&2; exit 3'] });
    const created = await rt.create(req);
    expect(created.status).toBe('created');
    expect(created.labels).toEqual({ a: 'b' });
    await rt.start(req.id);
    const exit = await rt.wait(req.id);
    expect(exit.exitCode).toBe(3);
    await expect(rt.start(req.id)).rejects.toThrow(/has exited/);
    expect(exit.oomKilled).toBe(false);
    const info = await rt.inspect(req.id);
    expect(info?.status).toBe('stopped');
    expect(info?.exit?.exitCode).toBe(3);
    const log = await eventually(() => {
      const t = readFileSync(info?.logPath as string, 'utf8');
      return t.includes('err-line') && t.includes('out-line') ? t : undefined;
    });
    expect(log).toMatch(/^\S+Z stdout F out-line$/m);
    expect(log).toMatch(/^\S+Z stderr F err-line$/m);
  });

  it('a process killed by a signal reports 128+N (with init: the main child, PID 1 being the init)', async () => {
    const req = request({ init: true, command: ['sh', '-c', 'kill -USR1 $$; sleep 5'] });
    await rt.create(req);
    await rt.start(req.id);
    const exit = await rt.wait(req.id);
    expect(exit.exitCode).toBe(128 + 10);
  });

  it('stop: a PID 1 that ignores TERM is killed after the grace period (137)', async () => {
    const req = request({ command: ['sleep', '600'], stopGracePeriodMs: 500 });
    await rt.create(req);
    const started = await rt.start(req.id);
    expect(started.status).toBe('running');
    expect(started.pid).toBeGreaterThan(1);
    expect(Number.isNaN(Date.parse(started.startedAt ?? ''))).toBe(false);
    // start releases PID 1, which then execs the workload
    await eventually(() => readFileSync(`/proc/${started.pid}/cmdline`, 'utf8').split('\0')[0] === 'sleep' || undefined, { what: 'PID 1 runs sleep' });
    expect((await rt.start(req.id)).pid).toBe(started.pid); // idempotent
    const exit = await rt.stop(req.id);
    expect(exit?.exitCode).toBe(137);
    expect((await rt.inspect(req.id))?.status).toBe('stopped');
    // idempotent
    expect((await rt.stop(req.id))?.exitCode).toBe(137);
  });

  it('stop: a PID 1 that traps TERM exits 143 within the grace period', async () => {
    const req = request({ command: ['sh', '-c', "trap 'exit 143' TERM; echo ready; while true; do sleep 0.1; done"] });
    await rt.create(req);
    await rt.start(req.id);
    await eventually(() => readFileSync((made.length && join(base, 'root', 'containers', req.id, 'container.log')) as string, 'utf8').includes('ready'));
    const exit = await rt.stop(req.id, { timeoutMs: 60_000 });
    expect(exit?.exitCode).toBe(143);
  });

  it('the service stop_signal is used', async () => {
    const req = request({ command: ['sh', '-c', "trap 'exit 42' USR2; echo ready; while true; do sleep 0.1; done"], stopSignal: 'SIGUSR2' });
    await rt.create(req);
    await rt.start(req.id);
    await eventually(() => readFileSync(join(base, 'root', 'containers', req.id, 'container.log'), 'utf8').includes('ready'));
    expect((await rt.stop(req.id, { timeoutMs: 60_000 }))?.exitCode).toBe(42);
  });

  it('exec runs in the container, captures output and exit status', async () => {
    const req = request({ command: ['sleep', '600'], hostname: 'exechost', environment: { FOO: 'bar' } });
    await rt.create(req);
    await rt.start(req.id);
    const r = await rt.exec(req.id, { argv: ['sh', '-c', 'hostname; echo $FOO $EXTRA; id -u; echo e >&2; exit 7'], env: { EXTRA: 'x' } });
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe('exechost\nbar x\n0\n');
    expect(r.stderr).toBe('e\n');
    const u = await rt.exec(req.id, { argv: ['id', '-u'], user: 'www' });
    expect(u.stdout.trim()).toBe('33');
    expect((await rt.exec(req.id, { argv: ['id', '-G'], user: 'www' })).stdout.trim()).toBe('33 100'); // + supplementary groups
    expect((await rt.exec(req.id, { argv: ['pwd'], workingDir: '/tmp' })).stdout).toBe('/tmp\n');
    // a user added inside the running container (its writable layer) resolves too
    expect((await rt.exec(req.id, { argv: ['sh', '-c', 'echo "late:x:4321:4321::/:/bin/sh" >> /etc/passwd'] })).exitCode).toBe(0);
    expect((await rt.exec(req.id, { argv: ['id', '-u'], user: 'late' })).stdout.trim()).toBe('4321');
    await expect(rt.exec(req.id, { argv: ['true'], user: 'nobody-here' })).rejects.toThrow(/unable to find user nobody-here/);
    await rt.kill(req.id, 'KILL');
    expect((await rt.wait(req.id)).exitCode).toBe(137);
  });

  it('a created, never started container is removed without force', async () => {
    const req = request({ command: ['sleep', '600'] });
    await rt.create(req);
    expect((await rt.inspect(req.id))?.status).toBe('created');
    await rt.remove(req.id);
    expect(await rt.inspect(req.id)).toBeUndefined();
    expect(existsSync(join(base, 'run', 'runtime', req.id))).toBe(false);
  });

  it('an invalid user is a clear error and leaves nothing behind', async () => {
    const req = request({ command: ['true'], user: 'ghost' });
    await expect(rt.create(req)).rejects.toThrow('unable to find user ghost');
    expect(existsSync(join(base, 'root', 'containers', req.id))).toBe(false);
  });

  it('a missing command fails the create, as runc does, and leaves nothing behind', async () => {
    const req = request({ command: ['/no/such/binary'] });
    await expect(rt.create(req)).rejects.toThrow('exec: "/no/such/binary": stat /no/such/binary: no such file or directory');
    expect(existsSync(join(base, 'root', 'containers', req.id))).toBe(false);
    expect(await rt.inspect(req.id)).toBeUndefined();
    // the project had no other container: its parent cgroup went too (it used to be left in every controller)
    for (const c of ['memory/', 'pids/', '']) expect(existsSync(`/sys/fs/cgroup/${c}tscompose/${PROJECT}`)).toBe(false);
  });
});
