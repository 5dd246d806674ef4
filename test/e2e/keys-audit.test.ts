/**
 * The remaining service keys end to end (issue 8), each checked from inside the container or on its
 * cgroup: environment over env_file, user name:group from the image's /etc/passwd, working_dir created,
 * hostname/domainname, entrypoint/command, ulimits, namespaced sysctls (and host-wide ones refused without
 * touching the host), extra_hosts with host-gateway, dns/dns_search/dns_opt, cap_add/cap_drop ALL,
 * privileged, read_only root with a writable tmpfs, labels, shm_size, pids_limit/mem_limit/cpus,
 * init reaping zombies, stop_signal and stop_grace_period (TERM, then KILL after the period).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackEnv } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

let env: StackEnv;

beforeAll(async () => {
  env = new StackEnv('keysaud');
  await env.importBusybox();
});

afterAll(async () => {
  await env?.cleanup();
});

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

/** A cgroup file of a container, cgroup v2 or v1 (controller directory). */
function cgroupFile(project: string, id: string, v1Controller: string, file: string): string {
  const v2 = join('/sys/fs/cgroup/tscompose', project, id, file);
  return existsSync(v2) ? v2 : join('/sys/fs/cgroup', v1Controller, 'tscompose', project, id, file);
}

describe('service keys (audit)', () => {
  it('process, identity, limits, name resolution and labels reach the container', async () => {
    const p = env.project('ka', `services:
  app:
    image: busybox:latest
    entrypoint: ["sh", "-c"]
    command: ["trap 'exit 0' TERM; while true; do sleep 1; done"]
    env_file: app.env
    environment:
      BOTH: from-environment
    user: www:users
    working_dir: /srv/made/here
    hostname: myhost
    domainname: example.test
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
    sysctls:
      net.core.somaxconn: 1234
      kernel.shm_rmid_forced: 1
    extra_hosts:
      - "db.test:10.9.8.7"
      - "gw.test:host-gateway"
    dns: [10.0.0.53]
    dns_search: [search.test]
    dns_opt: ["ndots:3"]
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    labels:
      audit.label: hello
    shm_size: 32m
    pids_limit: 77
    mem_limit: 64m
    cpus: 0.5
  ro:
    image: busybox:latest
    command: ${LOOP}
    read_only: true
    tmpfs: [/tmp]
  priv:
    image: busybox:latest
    command: ${LOOP}
    privileged: true
`);
    writeFileSync(join(p.dir, 'app.env'), 'FROMFILE=from-file\nBOTH=from-file\n');
    await env.ok(p, ['up', '-d']);
    const sh = async (svc: string, script: string): Promise<string> => (await env.ok(p, ['exec', '-T', svc, 'sh', '-c', script])).stdout;
    const lines = (await sh('app', [
      'echo "$FROMFILE $BOTH"', 'id', 'pwd', 'hostname', 'cat /proc/sys/kernel/domainname', 'ulimit -n', 'ulimit -Hn',
      'cat /proc/sys/net/core/somaxconn /proc/sys/kernel/shm_rmid_forced', 'grep CapBnd /proc/self/status', "df -k /dev/shm | awk 'NR==2 {print $2}'",
    ].join('; '))).split('\n');
    expect(lines.slice(0, 11)).toEqual([
      'from-file from-environment',
      'uid=33(www) gid=100(users)',
      '/srv/made/here',
      'myhost',
      'example.test',
      '1024',
      '2048',
      '1234',
      '1',
      expect.stringMatching(/^CapBnd:\s+0000000000000400$/),
      '32768',
    ]);
    const hosts = await sh('app', 'cat /etc/hosts');
    expect(hosts).toMatch(/^10\.9\.8\.7\s+db\.test$/m);
    expect(hosts).toMatch(/^\d+\.\d+\.\d+\.\d+\s+gw\.test$/m);
    expect(hosts).not.toMatch(/host-gateway/);
    const resolv = await sh('app', 'cat /etc/resolv.conf');
    expect(resolv).toMatch(/^nameserver 10\.0\.0\.53$/m);
    expect(resolv).toMatch(/^search search\.test$/m);
    expect(resolv).toMatch(/^options ndots:3$/m);

    const rows = await env.psJson(p);
    const app = rows.find((c) => c.Service === 'app');
    expect(app).toBeDefined();
    const labels = (app as unknown as { Labels: string | Record<string, string> }).Labels;
    expect(typeof labels === 'string' ? labels.split(',') : Object.entries(labels).map(([k, v]) => `${k}=${v}`)).toContain('audit.label=hello');
    const id = app?.ID as string;
    expect(readFileSync(cgroupFile(p.name, id, 'pids', 'pids.max'), 'utf8').trim()).toBe('77');
    const mem = cgroupFile(p.name, id, 'memory', 'memory.max');
    expect(readFileSync(existsSync(mem) ? mem : cgroupFile(p.name, id, 'memory', 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 * 1024 * 1024));
    const cpuMax = cgroupFile(p.name, id, 'cpu', 'cpu.max');
    const quota = existsSync(cpuMax) ? readFileSync(cpuMax, 'utf8').trim() : `${readFileSync(cgroupFile(p.name, id, 'cpu', 'cpu.cfs_quota_us'), 'utf8').trim()} ${readFileSync(cgroupFile(p.name, id, 'cpu', 'cpu.cfs_period_us'), 'utf8').trim()}`;
    expect(quota).toBe('50000 100000');

    // read_only root refuses writes; the declared tmpfs /tmp takes them
    expect(await sh('ro', 'touch /root/x 2>/dev/null && echo rw || echo ro; touch /tmp/x && echo tmp-rw')).toBe('ro\ntmp-rw\n');
    // privileged: the capabilities the engine holds, devices visible
    const hostBnd = /CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    expect(await sh('priv', 'grep CapEff /proc/self/status')).toMatch(new RegExp(`CapEff:\\s+${hostBnd}`));
  });

  it('a host-wide sysctl is refused with a clear error and the host keeps its value', async () => {
    const before = readFileSync('/proc/sys/kernel/panic', 'utf8');
    const p = env.project('ks', `services:
  app:
    image: busybox:latest
    command: ${LOOP}
    sysctls:
      - kernel.panic=${Number(before.trim()) + 7}
`);
    const r = await env.run(p, ['up', '-d']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/sysctl "kernel\.panic" is not in a separate kernel namespace/);
    expect(readFileSync('/proc/sys/kernel/panic', 'utf8')).toBe(before);
  });

  it('init reaps zombies; stop_signal is sent; stop_grace_period ends with KILL', async () => {
    const zombies = `["sh", "-c", "for i in 1 2 3; do (sleep 0.1 &); done; exec sleep 600"]`;
    const p = env.project('ki', `services:
  reaped:
    image: busybox:latest
    init: true
    command: ${zombies}
  usr1:
    image: busybox:latest
    stop_signal: SIGUSR1
    command: ["sh", "-c", "trap 'echo got-usr1; exit 0' USR1; trap 'echo got-term' TERM; echo ready; while true; do sleep 0.2; done"]
  stubborn:
    image: busybox:latest
    stop_grace_period: 1s
    command: ["sh", "-c", "trap 'echo got-term' TERM; echo ready; while true; do sleep 0.2; done"]
`);
    await env.ok(p, ['up', '-d']);
    await eventually(async () => (await env.ok(p, ['exec', '-T', 'reaped', 'ps', '-o', 'stat'])).stdout.split('\n').filter(Boolean).length >= 3, { what: 'reaped running' });
    // the short-lived grandchildren were reaped by init: no Z state after they ended
    await eventually(async () => !/\bZ/.test((await env.ok(p, ['exec', '-T', 'reaped', 'ps', '-o', 'stat'])).stdout), { what: 'no zombies under init', timeoutMs: 20_000 });
    await eventually(async () => (await env.ok(p, ['logs', 'usr1', 'stubborn'])).stdout.match(/ready/g)?.length === 2, { what: 'both ready' });
    await env.ok(p, ['stop', 'usr1', 'stubborn']);
    const ps = await env.psJson(p);
    expect(ps.find((c) => c.Service === 'usr1')?.ExitCode).toBe(0);
    expect(ps.find((c) => c.Service === 'stubborn')?.ExitCode).toBe(137);
    const logs = (await env.ok(p, ['logs', '--no-log-prefix', 'usr1', 'stubborn'])).stdout;
    expect(logs).toContain('got-usr1');
    expect(logs).toContain('got-term');
  });
});
