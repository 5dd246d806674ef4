import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeRuntime } from '../../src/runtime/native-runtime.js';
import type { ContainerCreateRequest } from '../../src/runtime/api.js';
import type { Service } from '../../src/spec/model.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { makeImage, makeService, uniqueId } from '../helpers/runtime-fixtures.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let base: string;
let rt: NativeRuntime;
let rootfs: string;
const made: string[] = [];
const PROJECT = `rtadopt${process.pid}`;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), `tsc-rt-adopt-${process.pid}-`));
  rt = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run', 'runtime') });
  rootfs = busyboxRootfs();
});

afterEach(async () => {
  for (const id of made.splice(0)) await rt.remove(id, { force: true }).catch(() => undefined);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function request(spec: Partial<Service>, over: Partial<ContainerCreateRequest> = {}): ContainerCreateRequest {
  const id = uniqueId('adopt');
  made.push(id);
  return { id, name: `${PROJECT}-svc-${made.length}`, project: PROJECT, service: 'svc', number: made.length, spec: makeService(spec), image: makeImage([rootfs]), mounts: [], labels: {}, ...over };
}

describe('NativeRuntime: crash safety and cleanup', () => {
  it('a second instance lists, inspects, stops and waits for containers of the first', async () => {
    const a = request({ command: ['sleep', '600'], stopGracePeriodMs: 300 });
    const b = request({ command: ['sh', '-c', 'exit 5'] });
    const other = request({ command: ['true'] }, { project: `${PROJECT}x` });
    for (const r of [a, b, other]) await rt.create(r);
    await rt.start(a.id);
    await rt.start(b.id);
    await rt.wait(b.id);
    const waitFirst = rt.wait(a.id);

    const rt2 = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run', 'runtime') });
    const listed = await rt2.list({ project: PROJECT });
    expect(listed.map((c) => [c.id, c.status]).sort()).toEqual([[a.id, 'running'], [b.id, 'stopped']].sort());
    expect(listed.find((c) => c.id === b.id)?.exit?.exitCode).toBe(5);
    expect((await rt2.list()).map((c) => c.id)).toContain(other.id);
    const exit = await rt2.stop(a.id);
    expect(exit?.exitCode).toBe(137);
    expect((await waitFirst).exitCode).toBe(137);
  });

  it('a container outlives a SIGKILLed Node parent; a new instance finds it and sees its exit', async () => {
    const dist = join(repo, 'dist', 'runtime', 'native-runtime.js');
    expect(existsSync(dist), `${dist} missing: run \`npm run build\` first`).toBe(true);
    const req = request({ command: ['sh', '-c', 'echo up; sleep 600'] });
    const { spec, image, ...rest } = req;
    const script = `
      import { NativeRuntime } from ${JSON.stringify(dist)};
      const rt = new NativeRuntime({ root: ${JSON.stringify(join(base, 'root'))}, runtimeRoot: ${JSON.stringify(join(base, 'run', 'runtime'))} });
      const req = { ...${JSON.stringify(rest)}, spec: ${JSON.stringify(spec)}, image: ${JSON.stringify(image)} };
      await rt.create(req);
      await rt.start(req.id);
      process.stdout.write('started\\n');
      rt.wait(req.id);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually(() => out.includes('started'), { what: `child started the container (stderr: ${err})`, timeoutMs: 60_000 });
    } finally {
      child.kill('SIGKILL');
    }
    await eventually(() => child.exitCode !== null || child.signalCode !== null, { what: 'child gone' });

    const rt2 = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run', 'runtime') });
    const info = await rt2.inspect(req.id);
    expect(info?.status).toBe('running');
    process.kill(info?.pid as number, 0); // PID 1 still alive
    const waiting = rt2.wait(req.id);
    await rt2.kill(req.id, 'SIGKILL');
    expect((await waiting).exitCode).toBe(137);
  });

  it('OOM is reported from the exit status file', async () => {
    const req = request({
      command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'],
      resources: { ...makeService().resources, memoryBytes: 32 * 1024 * 1024 },
    });
    await rt.create(req);
    await rt.start(req.id);
    const exit = await rt.wait(req.id);
    expect(exit.oomKilled).toBe(true);
    expect(exit.exitCode).toBe(137);
  });

  it('stats come from the cgroup; remove leaves no directory, state, cgroup or mount', async () => {
    const req = request({ command: ['sh', '-c', 'sleep 600 & sleep 600'], resources: { ...makeService().resources, memoryBytes: 64 * 1024 * 1024, pidsLimit: 20 } });
    await rt.create(req);
    await rt.start(req.id);
    const st = await eventually(async () => {
      const s = await rt.stats(req.id);
      return s && s.pids >= 2 ? s : undefined;
    });
    expect(st.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(st.memoryBytes).toBeGreaterThan(0);
    expect(st.cpuUsageNs).toBeGreaterThan(0);
    const cg = `/sys/fs/cgroup/memory/tscompose/${PROJECT}/${req.id}`;
    expect(existsSync(cg)).toBe(true);

    await expect(rt.remove(req.id)).rejects.toThrow(/stop it first/);
    await rt.remove(req.id, { force: true });
    expect(existsSync(join(base, 'root', 'containers', req.id))).toBe(false);
    expect(existsSync(join(base, 'run', 'runtime', req.id))).toBe(false);
    expect(existsSync(cg)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids/tscompose/${PROJECT}/${req.id}`)).toBe(false);
    // the last container of the project takes the project's cgroup parent with it
    expect(existsSync(`/sys/fs/cgroup/pids/tscompose/${PROJECT}`)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(req.id);
    expect(await rt.inspect(req.id)).toBeUndefined();
    await expect(rt.remove(req.id)).rejects.toThrow(/no such container/);
  });

  it('remove with filesLater: out of list and inspect, cgroups and runtime state gone at once; the directory by removed()', async () => {
    const keep = request({ command: ['sleep', '600'] });
    const a = request({ command: ['sleep', '600'] });
    for (const r of [keep, a]) {
      await rt.create(r);
      await rt.start(r.id);
    }
    await rt.stop(a.id, { timeoutMs: 0 });
    await rt.remove(a.id, { force: true, filesLater: true });
    expect(await rt.inspect(a.id)).toBeUndefined();
    expect((await rt.list({ project: PROJECT })).map((c) => c.id)).toEqual([keep.id]);
    expect(existsSync(join(base, 'run', 'runtime', a.id))).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids/tscompose/${PROJECT}/${a.id}`)).toBe(false);
    // the other container still uses the project's cgroup parent
    expect(existsSync(`/sys/fs/cgroup/pids/tscompose/${PROJECT}/${keep.id}`)).toBe(true);
    await rt.removed(a.id);
    expect(existsSync(join(base, 'root', 'containers', a.id))).toBe(false);
    await expect(rt.remove(a.id)).rejects.toThrow(/no such container/);

    // a directory left half-removed (a supervisor killed meanwhile) is finished by the next remove of the id
    await rt.stop(keep.id, { timeoutMs: 0 });
    await rt.remove(keep.id, { filesLater: true });
    const dir = join(base, 'root', 'containers', keep.id);
    await rt.removed(keep.id);
    mkdirSync(join(dir, 'upper'), { recursive: true }); // as if the background rm had stopped half way
    await rt.remove(keep.id);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids/tscompose/${PROJECT}`)).toBe(false);
  });
});
