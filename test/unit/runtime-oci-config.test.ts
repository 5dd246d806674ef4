import { describe, expect, it } from 'vitest';
import { buildOciConfig, type ContainerPaths } from '../../src/runtime/oci-config.js';
import type { ContainerCreateRequest } from '../../src/runtime/api.js';
import { DEFAULT_CAPABILITIES } from '../../src/runtime/oci-defaults.js';
import { capabilitiesFromMask } from '../../src/runtime/capabilities.js';
import { makeImage, makeService } from '../helpers/runtime-fixtures.js';
import type { Service } from '../../src/spec/model.js';

const D = '/var/lib/tscompose/containers/abcdef0123456789';
const paths: ContainerPaths = {
  dir: D,
  bundle: `${D}/bundle`,
  rootfs: `${D}/bundle/rootfs`,
  upper: `${D}/upper`,
  work: `${D}/work`,
  hosts: `${D}/hosts`,
  hostname: `${D}/hostname`,
  resolvConf: `${D}/resolv.conf`,
  log: `${D}/container.log`,
};
const root = { uid: 0, gid: 0, additionalGids: [], home: '/root' };

function req(spec: Partial<Service> = {}, over: Partial<ContainerCreateRequest> = {}): ContainerCreateRequest {
  return {
    id: 'abcdef0123456789',
    name: 'proj-web-1',
    project: 'proj',
    service: 'web',
    number: 1,
    spec: makeService(spec),
    image: makeImage(['/layers/a', '/layers/b'], { entrypoint: ['/entry.sh'], cmd: ['serve', '--port', '80'], env: ['PATH=/img/bin', 'A=1'], workingDir: '/app' }),
    mounts: [],
    labels: {},
    ...over,
  };
}

describe('buildOciConfig: the whole document for a plain service', () => {
  it('matches the hand-checked golden config', () => {
    const c = buildOciConfig(req(), { paths, user: root, cpuCount: 2 });
    expect(c).toEqual({
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0, additionalGids: [] },
        args: ['/entry.sh', 'serve', '--port', '80'],
        env: ['PATH=/img/bin', 'A=1', 'HOSTNAME=f445801e0cb8', 'HOME=/root'],
        cwd: '/app',
        capabilities: {
          bounding: [...DEFAULT_CAPABILITIES],
          effective: [...DEFAULT_CAPABILITIES],
          permitted: [...DEFAULT_CAPABILITIES],
          inheritable: [],
        },
        rlimits: [],
        noNewPrivileges: false,
      },
      root: { path: `${D}/bundle/rootfs`, readonly: false },
      hostname: 'f445801e0cb8',
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
        { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
        { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro', 'relatime'] },
        { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
        { destination: '/etc/hosts', type: 'bind', source: `${D}/hosts`, options: ['rbind', 'rprivate', 'ro'] },
        { destination: '/etc/hostname', type: 'bind', source: `${D}/hostname`, options: ['rbind', 'rprivate', 'ro'] },
        { destination: '/etc/resolv.conf', type: 'bind', source: `${D}/resolv.conf`, options: ['rbind', 'rprivate', 'ro'] },
      ],
      annotations: {
        'org.tscompose.rootfs.lower': '["/layers/a","/layers/b"]',
        'org.tscompose.rootfs.upper': `${D}/upper`,
        'org.tscompose.rootfs.work': `${D}/work`,
      },
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }, { type: 'cgroup' }],
        resources: {
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
            { allow: true, type: 'c', major: 136, access: 'rwm' },
            { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
          ],
        },
        cgroupsPath: 'tscompose/proj/abcdef0123456789',
        sysctl: {},
        maskedPaths: [
          '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
          '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap',
          '/sys/firmware', '/sys/devices/system/cpu/cpu0/thermal_throttle', '/sys/devices/system/cpu/cpu1/thermal_throttle',
        ],
        readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
        seccomp: expect.objectContaining({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 }),
      },
    });
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
  });
});

describe('process: Compose override rules', () => {
  const args = (spec: Partial<Service>, over: Partial<ContainerCreateRequest> = {}) =>
    buildOciConfig(req(spec, over), { paths, user: root, cpuCount: 1 }).process.args;

  it('command replaces the image Cmd and keeps the image Entrypoint', () => {
    expect(args({ command: ['x', 'y'] })).toEqual(['/entry.sh', 'x', 'y']);
  });
  it('entrypoint replaces the image Entrypoint and clears the image Cmd', () => {
    expect(args({ entrypoint: ['/bin/sh', '-c'] })).toEqual(['/bin/sh', '-c']);
  });
  it('entrypoint and command together', () => {
    expect(args({ entrypoint: ['/bin/sh', '-c'], command: ['echo hi'] })).toEqual(['/bin/sh', '-c', 'echo hi']);
  });
  it('an explicitly empty entrypoint clears it, leaving the command', () => {
    expect(args({ entrypoint: [], command: ['top'] })).toEqual(['top']);
  });
  it('a run command override beats the service command', () => {
    expect(args({ command: ['x'] }, { commandOverride: ['echo', 'one-off'] })).toEqual(['/entry.sh', 'echo', 'one-off']);
  });
  it('nothing to run is a clear error', () => {
    expect(() => args({ entrypoint: [] })).toThrow(/no command specified/);
  });
});

describe('process: env, cwd, hostname, tty', () => {
  it('service environment overrides image Env; PATH default when none; TERM with a tty', () => {
    const r = req({ environment: { A: '2', B: 'x=y' }, tty: true, hostname: 'myhost', workingDir: 'rel/../dir' });
    r.image.config.env = ['A=1'];
    const c = buildOciConfig(r, { paths, user: { uid: 1000, gid: 1000, additionalGids: [], home: '/home/u' }, cpuCount: 1 });
    expect(c.process.env).toEqual([
      'A=2',
      'B=x=y',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=myhost',
      'HOME=/home/u',
      'TERM=xterm',
    ]);
    expect(c.process.terminal).toBe(true);
    expect(c.hostname).toBe('myhost');
    expect(c.process.cwd).toBe('/dir');
    expect(c.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [] });
  });
  it('cwd defaults to / when neither the service nor the image sets one', () => {
    const r = req();
    delete r.image.config.workingDir;
    expect(buildOciConfig(r, { paths, user: root, cpuCount: 1 }).process.cwd).toBe('/');
  });
});

describe('security', () => {
  const build = (spec: Partial<Service>) => buildOciConfig(req(spec), { paths, user: root, cpuCount: 1 });
  it('cap_add / cap_drop adjust the defaults; inheritable stays empty', () => {
    const c = build({ capAdd: ['NET_ADMIN'], capDrop: ['CAP_CHOWN', 'mknod'] });
    expect(c.process.capabilities.bounding).not.toContain('CAP_CHOWN');
    expect(c.process.capabilities.bounding).not.toContain('CAP_MKNOD');
    expect(c.process.capabilities.bounding).toContain('CAP_NET_ADMIN');
    expect(c.process.capabilities.bounding).toHaveLength(13);
    expect(c.process.capabilities.effective).toEqual(c.process.capabilities.bounding);
    expect(c.process.capabilities.inheritable).toEqual([]);
  });
  it('cap_drop ALL keeps only cap_add', () => {
    expect(build({ capDrop: ['ALL'], capAdd: ['CAP_KILL'] }).process.capabilities.permitted).toEqual(['CAP_KILL']);
  });
  it('cap_add ALL gives every capability minus cap_drop', () => {
    const caps = build({ capAdd: ['ALL'], capDrop: ['CAP_SYS_ADMIN'] }).process.capabilities.bounding;
    expect(caps).toContain('CAP_SYS_PTRACE');
    expect(caps).not.toContain('CAP_SYS_ADMIN');
    expect(caps).toHaveLength(40);
  });
  it('"all" means all the host can grant (its bounding set)', () => {
    const host = capabilitiesFromMask('000001fffeffffff'); // CAP_SYS_RESOURCE (24) missing
    expect(host).toHaveLength(40);
    expect(host).not.toContain('CAP_SYS_RESOURCE');
    const c = buildOciConfig(req({ privileged: true }), { paths, user: root, cpuCount: 1, hostCapabilities: host });
    expect(c.process.capabilities.bounding).toEqual(host);
    const a = buildOciConfig(req({ capAdd: ['ALL'], capDrop: ['NET_ADMIN'] }), { paths, user: root, cpuCount: 1, hostCapabilities: host });
    expect(a.process.capabilities.bounding).toHaveLength(39);
  });
  it('an unknown capability is refused', () => {
    expect(() => build({ capAdd: ['CAP_FLY'] })).toThrow(/unknown capability/);
  });
  it('privileged: all caps, no masked or read-only paths, all devices, /sys writable', () => {
    const c = build({ privileged: true });
    expect(c.process.capabilities.bounding).toHaveLength(41);
    expect(c.linux.maskedPaths).toEqual([]);
    expect(c.linux.readonlyPaths).toEqual([]);
    expect(c.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(c.mounts.find((m) => m.destination === '/sys')?.options).toContain('rw');
  });
  it('security_opt systempaths=unconfined drops the masked and read-only paths; seccomp=unconfined drops the filter', () => {
    const c = build({ securityOpt: ['systempaths=unconfined', 'seccomp=unconfined'] });
    expect(c.linux.maskedPaths).toEqual([]);
    expect(c.linux.readonlyPaths).toEqual([]);
    expect(c.linux.seccomp).toBeUndefined();
    expect(build({}).linux.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(build({ privileged: true }).linux.seccomp).toBeUndefined();
  });
  it('no-new-privileges from security_opt', () => {
    expect(build({ securityOpt: ['no-new-privileges'] }).process.noNewPrivileges).toBe(true);
    expect(build({ securityOpt: ['no-new-privileges:true'] }).process.noNewPrivileges).toBe(true);
    expect(build({ securityOpt: ['no-new-privileges:false'] }).process.noNewPrivileges).toBe(false);
    expect(build({ securityOpt: ['label:disable'] }).process.noNewPrivileges).toBe(false);
  });
  it('read_only makes the root read-only', () => {
    expect(build({ readOnly: true }).root.readonly).toBe(true);
  });
});

describe('linux', () => {
  const paths1 = { paths, user: root, cpuCount: 1 };
  it('network namespace: new by default, joined by path, none for host', () => {
    const nets = (netns?: string) => buildOciConfig(req({}, { netns }), paths1).linux.namespaces.filter((n) => n.type === 'network');
    expect(nets(undefined)).toEqual([{ type: 'network' }]);
    expect(nets('/run/netns/x')).toEqual([{ type: 'network', path: '/run/netns/x' }]);
    expect(nets('host')).toEqual([]);
  });
  it('resources: memory (+ Docker default swap), cpus, shares, cpuset, pids, blkio', () => {
    const c = buildOciConfig(
      req({
        resources: {
          memoryBytes: 32 * 1024 * 1024,
          memoryReservationBytes: 16 * 1024 * 1024,
          cpus: 1.5,
          cpuShares: 512,
          cpuset: '0',
          pidsLimit: 64,
          blkioWeight: 300,
          blkioDeviceReadBps: [{ path: '/dev/sda', rate: 1048576 }],
          blkioDeviceWriteBps: [{ path: '/dev/nope', rate: 1 }],
          blkioDeviceReadIops: [],
          blkioDeviceWriteIops: [{ path: '/dev/sda', rate: 100 }],
          oomScoreAdj: 500,
        },
      }),
      { ...paths1, deviceNumbers: (p) => (p === '/dev/sda' ? { major: 8, minor: 0 } : undefined) },
    );
    const r = c.linux.resources;
    expect(r.memory).toEqual({ limit: 33554432, swap: 67108864, reservation: 16777216 });
    expect(r.cpu).toEqual({ shares: 512, period: 100000, quota: 150000, cpus: '0' });
    expect(r.pids).toEqual({ limit: 64 });
    expect(r.blockIO).toEqual({
      weight: 300,
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    });
    expect(c.process.oomScoreAdj).toBe(500);
  });
  it('memswap_limit -1 is unlimited swap; an explicit value is kept', () => {
    const mem = (memorySwapBytes: number) =>
      buildOciConfig(req({ resources: { ...makeService().resources, memoryBytes: 100, memorySwapBytes } }), paths1).linux.resources.memory;
    expect(mem(-1)).toEqual({ limit: 100, swap: -1 });
    expect(mem(300)).toEqual({ limit: 100, swap: 300 });
  });
  it('ulimits become rlimits; unknown names and soft > hard are refused', () => {
    const c = buildOciConfig(req({ ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: { soft: 10, hard: 10 } } }), paths1);
    expect(c.process.rlimits).toEqual([
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
      { type: 'RLIMIT_NPROC', soft: 10, hard: 10 },
    ]);
    expect(() => buildOciConfig(req({ ulimits: { bogus: { soft: 1, hard: 1 } } }), paths1)).toThrow(/unknown ulimit/);
    expect(() => buildOciConfig(req({ ulimits: { nofile: { soft: 5, hard: 1 } } }), paths1)).toThrow(/above the hard/);
  });
  it('sysctls, init annotation, service annotations, domainname', () => {
    const c = buildOciConfig(req({ sysctls: { 'net.core.somaxconn': '1024' }, init: true, annotations: { 'x.y': 'z' }, domainname: 'example.org' }), paths1);
    expect(c.linux.sysctl).toEqual({ 'net.core.somaxconn': '1024', 'kernel.domainname': 'example.org' });
    expect(c.annotations['org.tscompose.init']).toBe('true');
    expect(c.annotations['x.y']).toBe('z');
    expect(c.domainname).toBe('example.org');
    expect(c.annotations['org.tscompose.rootfs.volatile']).toBeUndefined();
    expect(buildOciConfig(req(), { ...paths1, volatileRootfs: true }).annotations['org.tscompose.rootfs.volatile']).toBe('true');
  });
});

describe('mounts', () => {
  it('binds and tmpfs sorted parent-first, after the defaults; user mounts replace defaults and etc files', () => {
    const c = buildOciConfig(
      req(
        { tmpfs: [{ target: '/run', sizeBytes: 1048576, mode: 0o1777, options: ['exec'] }], shmSizeBytes: 128 * 1024 * 1024 },
        {
          mounts: [
            { type: 'bind', source: '/host/data/sub', target: '/data/sub', readOnly: true },
            { type: 'bind', source: '/host/data', target: '/data', readOnly: false, options: ['rslave'] },
            { type: 'bind', source: '/host/hosts', target: '/etc/hosts', readOnly: true },
            { type: 'tmpfs', target: '/dev/shm', readOnly: false, options: ['size=1m'] },
          ],
        },
      ),
      { paths, user: root, cpuCount: 1 },
    );
    const dests = c.mounts.map((m) => m.destination);
    expect(dests).toEqual(['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/etc/hostname', '/etc/resolv.conf', '/data', '/run', '/data/sub', '/etc/hosts', '/dev/shm']);
    expect(c.mounts.find((m) => m.destination === '/data')).toEqual({ destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'rslave', 'rw'] });
    expect(c.mounts.find((m) => m.destination === '/data/sub')?.options).toEqual(['rbind', 'rprivate', 'ro']);
    expect(c.mounts.find((m) => m.destination === '/run')).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'exec', 'size=1048576', 'mode=1777'] });
    expect(c.mounts.find((m) => m.destination === '/dev/shm')?.options).toEqual(['noexec', 'nosuid', 'nodev', 'size=1m']);
  });
  it('shm_size sets the size of /dev/shm', () => {
    const c = buildOciConfig(req({ shmSizeBytes: 128 * 1024 * 1024 }), { paths, user: root, cpuCount: 1 });
    expect(c.mounts.find((m) => m.destination === '/dev/shm')?.options).toContain('size=131072k');
  });
});
