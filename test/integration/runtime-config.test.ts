import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { NativeRuntime } from '../../src/runtime/native-runtime.js';
import type { ContainerCreateRequest } from '../../src/runtime/api.js';
import type { Service } from '../../src/spec/model.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { makeImage, makeService, uniqueId } from '../helpers/runtime-fixtures.js';

let base: string;
let rt: NativeRuntime;
let rootfs: string;
const made: string[] = [];
const PROJECT = `rtcfg${process.pid}`;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), `tsc-rt-cfg-${process.pid}-`));
  rt = new NativeRuntime({ root: join(base, 'root'), runtimeRoot: join(base, 'run', 'runtime') });
  rootfs = busyboxRootfs();
});
afterEach(async () => {
  for (const id of made.splice(0)) await rt.remove(id, { force: true }).catch(() => undefined);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Run `script` with sh in a container made from `spec`; resolves with its exit code and stdout lines. */
async function runScript(script: string, spec: Partial<Service> = {}, over: Partial<ContainerCreateRequest> = {}): Promise<{ code: number; out: string; id: string }> {
  const id = uniqueId('cfg');
  made.push(id);
  const req: ContainerCreateRequest = {
    id, name: id, project: PROJECT, service: 'svc', number: 1,
    spec: makeService({ entrypoint: ['sh', '-c'], command: [script], ...spec }),
    image: makeImage([rootfs]), mounts: [], labels: {}, ...over,
  };
  const info = await rt.create(req);
  await rt.start(id);
  const exit = await rt.wait(id);
  const out = readFileSync(info.logPath, 'utf8')
    .split('\n')
    .filter((l) => / stdout [FP] /.test(l))
    .map((l) => l.replace(/^\S+ stdout [FP] /, ''))
    .join('\n');
  return { code: exit.exitCode, out, id };
}

describe('the OCI config as the container sees it', () => {
  it('Docker defaults: 14 capabilities, hostname = 12 hex of sha256(id), env, cwd /, masked and read-only /proc paths', async () => {
    const r = await runScript(
      'grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; hostname; echo "PATH=$PATH"; pwd; ' +
        'wc -c < /proc/timer_list; (echo 1 > /proc/sys/kernel/domainname) 2>/dev/null && echo sys-writable || echo sys-ro; echo done',
    );
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^CapEff:\s+00000000a80425fb$/);
    expect(lines[1]).toMatch(/^NoNewPrivs:\s+0$/);
    expect(lines[2]).toBe(createHash('sha256').update(r.id).digest('hex').slice(0, 12));
    expect(lines[3]).toBe('PATH=/usr/sbin:/usr/bin:/sbin:/bin');
    expect(lines[4]).toBe('/');
    expect(lines[5]?.trim()).toBe('0');
    expect(lines[6]).toBe('sys-ro');
  });

  it('cap_drop ALL + cap_add, no-new-privileges, user and groups, working_dir, environment, hostname', async () => {
    const r = await runScript('grep -E "CapEff|NoNewPrivs" /proc/self/status; id -u; id -G; pwd; echo $GREETING; hostname', {
      capDrop: ['ALL'],
      capAdd: ['CAP_KILL'],
      securityOpt: ['no-new-privileges:true'],
      user: 'www',
      workingDir: '/var/www',
      environment: { GREETING: 'hi there' },
      hostname: 'custom-host',
    });
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([expect.stringMatching(/^CapEff:\s+0000000000000000$/), expect.stringMatching(/^NoNewPrivs:\s+1$/), '33', '33 100', '/var/www', 'hi there', 'custom-host']);
  });

  it('read_only root with a tmpfs, ulimits, sysctls, binds (rw and ro), /etc files', async () => {
    const host = join(base, `data-${process.pid}`);
    mkdirSync(host, { recursive: true });
    writeFileSync(join(host, 'in.txt'), 'from-host\n');
    const r = await runScript(
      'touch /rootfile 2>/dev/null && echo root-rw || echo root-ro; touch /scratch/x && echo tmpfs-rw; ulimit -n; cat /proc/sys/net/core/somaxconn; ' +
        'cat /data/in.txt; echo out > /data/out.txt; (echo y > /ro/in.txt) 2>/dev/null && echo ro-writable || echo ro-ro; grep -c localhost /etc/hosts; cat /etc/hostname',
      {
        readOnly: true,
        tmpfs: [{ target: '/scratch', options: [] }],
        ulimits: { nofile: { soft: 777, hard: 888 } },
        sysctls: { 'net.core.somaxconn': '511' },
        hostname: 'etc-host',
      },
      {
        mounts: [
          { type: 'bind', source: host, target: '/data', readOnly: false },
          { type: 'bind', source: host, target: '/ro', readOnly: true },
        ],
      },
    );
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(['root-ro', 'tmpfs-rw', '777', '511', 'from-host', 'ro-ro', '2', 'etc-host']);
    expect(readFileSync(join(host, 'out.txt'), 'utf8')).toBe('out\n');
  });

  it('privileged: every capability the host grants, nothing masked', async () => {
    const r = await runScript('grep CapEff /proc/self/status; wc -c < /proc/timer_list', { privileged: true });
    expect(r.code).toBe(0);
    const [capLine, size] = r.out.split('\n');
    const own = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    expect(capLine).toMatch(new RegExp(`^CapEff:\\s+${own}$`)); // everything the engine itself holds
    expect(Number(size)).toBeGreaterThan(0); // not masked
  });

  it('resources land in the cgroup: memory (+ as much swap), cpus as quota/period, shares, pids', async () => {
    const id = uniqueId('cfg');
    made.push(id);
    await rt.create({
      id, name: id, project: PROJECT, service: 'svc', number: 1,
      spec: makeService({
        command: ['sleep', '600'],
        resources: { ...makeService().resources, memoryBytes: 48 * 1024 * 1024, cpus: 0.5, cpuShares: 512, pidsLimit: 33 },
      }),
      image: makeImage([rootfs]), mounts: [], labels: {},
    });
    const cg = (ctl: string, f: string) => readFileSync(`/sys/fs/cgroup/${ctl}/tscompose/${PROJECT}/${id}/${f}`, 'utf8').trim();
    expect(cg('memory', 'memory.limit_in_bytes')).toBe(String(48 * 1024 * 1024));
    expect(cg('memory', 'memory.memsw.limit_in_bytes')).toBe(String(2 * 48 * 1024 * 1024)); // Docker: swap = memory
    expect(cg('cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(cg('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(cg('cpu', 'cpu.shares')).toBe('512');
    expect(cg('pids', 'pids.max')).toBe('33');
  });

  it('image Entrypoint/Cmd/WorkingDir/Env, with the service overriding Cmd', async () => {
    const id = uniqueId('cfg');
    made.push(id);
    const info = await rt.create({
      id, name: id, project: PROJECT, service: 'svc', number: 1,
      spec: makeService({ command: ['echo $IMG_VAR $(pwd) "$0"'] }),
      image: makeImage([rootfs], { entrypoint: ['sh', '-c'], cmd: ['echo image-cmd'], workingDir: '/tmp', env: ['IMG_VAR=img', 'PATH=/bin'] }),
      mounts: [], labels: {},
    });
    await rt.start(id);
    expect((await rt.wait(id)).exitCode).toBe(0);
    expect(readFileSync(info.logPath, 'utf8')).toMatch(/stdout F img \/tmp sh$/m);
  });
});
