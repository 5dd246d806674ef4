import { describe, expect, it } from 'vitest';
import { FILE, load } from './spec-normalize-helpers.js';

describe('service networks', () => {
  it('no networks: the default network, which is added to the project', () => {
    const r = load('services:\n  web:\n    image: nginx\n');
    expect(r.project.services['web']!.networks).toEqual({ default: { aliases: [], priority: 0 } });
    expect(r.project.networks['default']).toEqual({
      name: 'app_default',
      driver: 'bridge',
      driverOpts: {},
      external: false,
      internal: false,
      attachable: false,
      enableIpv6: false,
      labels: {},
      ipam: { config: [] },
    });
  });

  it('list and map forms with aliases, ipv4_address, ipv6_address, priority', () => {
    const r = load(
      'services:\n  web:\n    image: nginx\n    networks: [front, back]\n  db:\n    image: pg\n    networks:\n      back: {aliases: [database, pg], ipv4_address: 172.28.0.5, ipv6_address: "fd00::5", priority: 100}\n      front: null\nnetworks: {front: {}, back: {}}\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.project.services['web']!.networks).toEqual({ front: { aliases: [], priority: 0 }, back: { aliases: [], priority: 0 } });
    expect(r.project.services['db']!.networks).toEqual({
      back: { aliases: ['database', 'pg'], ipv4Address: '172.28.0.5', ipv6Address: 'fd00::5', priority: 100 },
      front: { aliases: [], priority: 0 },
    });
    expect(r.project.networks['default']).toBeUndefined();
  });

  it('network_mode host, none, service:X, container:X', () => {
    const r = load(
      'services:\n  a:\n    image: x\n    network_mode: host\n  b:\n    image: x\n    network_mode: none\n  c:\n    image: x\n    network_mode: "service:a"\n  d:\n    image: x\n    network_mode: "container:legacy"\n',
    );
    expect(r.errors).toEqual([]);
    const s = r.project.services;
    expect([s['a']!.networkMode, s['b']!.networkMode, s['c']!.networkMode, s['d']!.networkMode]).toEqual([
      { kind: 'host' },
      { kind: 'none' },
      { kind: 'service', service: 'a' },
      { kind: 'container', container: 'legacy' },
    ]);
    expect(s['a']!.networks).toEqual({});
    // network_mode service:X is an implicit dependency, as in Compose.
    expect(s['c']!.dependsOn).toEqual({ a: { condition: 'service_started', required: true, restart: true } });
    expect(r.project.networks).toEqual({});
  });

  it('network_mode and networks together is an error, even network_mode: bridge', () => {
    expect(load('services:\n  a:\n    image: x\n    network_mode: bridge\n    networks: [n]\nnetworks: {n: {}}\n').errors).toHaveLength(1);
    expect(load('services:\n  a:\n    image: x\n    network_mode: host\n    networks: [n]\nnetworks: {n: {}}\n').errors).toEqual([
      `${FILE}:5:15: services.a.networks: 'network_mode' and 'networks' cannot be combined`,
    ]);
  });
});

describe('top-level networks and volumes', () => {
  it('names, drivers, options, internal, labels, ipam', () => {
    const r = load(
      [
        'services: {}',
        'networks:',
        '  back:',
        '    driver: bridge',
        '    driver_opts: {com.docker.network.bridge.name: br-back, mtu: 1400}',
        '    internal: true',
        '    enable_ipv6: true',
        '    labels: [tier=back]',
        '    ipam:',
        '      config:',
        '        - {subnet: 172.28.0.0/16, gateway: 172.28.0.1, ip_range: 172.28.5.0/24, aux_addresses: {host1: 172.28.1.5}}',
        '  named: {name: custom-net}',
        '  outside: {external: true}',
        '  legacy: {external: {name: old-net}}',
        'volumes:',
        '  data: {driver_opts: {type: none, o: bind, device: /srv/data}, labels: {a: b}}',
        '  ext: {external: true, name: shared-data}',
        '  plain:',
        '',
      ].join('\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.project.networks['back']).toEqual({
      name: 'app_back',
      driver: 'bridge',
      driverOpts: { 'com.docker.network.bridge.name': 'br-back', mtu: '1400' },
      external: false,
      internal: true,
      attachable: false,
      enableIpv6: true,
      labels: { tier: 'back' },
      ipam: { config: [{ subnet: '172.28.0.0/16', gateway: '172.28.0.1', ipRange: '172.28.5.0/24', auxAddresses: { host1: '172.28.1.5' } }] },
    });
    expect(r.project.networks['named']!.name).toBe('custom-net');
    expect(r.project.networks['outside']).toMatchObject({ name: 'outside', external: true });
    expect(r.project.networks['legacy']).toMatchObject({ name: 'old-net', external: true });
    expect(r.warnings[0]).toContain('networks.legacy.external: "external: {name: ...}" is deprecated');
    expect(r.project.volumes).toEqual({
      data: { name: 'app_data', driver: 'local', driverOpts: { type: 'none', o: 'bind', device: '/srv/data' }, external: false, labels: { a: 'b' } },
      ext: { name: 'shared-data', driver: 'local', driverOpts: {}, external: true, labels: {} },
      plain: { name: 'app_plain', driver: 'local', driverOpts: {}, external: false, labels: {} },
    });
  });

  it('creation options of external networks and volumes are ignored with a warning', () => {
    const r = load('networks:\n  n: {external: true, driver: macvlan}\nvolumes:\n  v: {external: true, driver_opts: {a: b}}\n');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      `${FILE}:2:31: networks.n.driver: ignored: network "n" is external (it exists already and is not created)`,
      `${FILE}:4:36: volumes.v.driver_opts: ignored: volume "v" is external (it exists already and is not created)`,
    ]);
  });

  it('a bad subnet is a located error', () => {
    expect(load('networks:\n  n:\n    ipam: {config: [{subnet: 10.0.0.0}]}\n').errors).toEqual([
      `${FILE}:3:30: networks.n.ipam.config[0].subnet: found "10.0.0.0", expected a subnet in CIDR form such as 172.28.0.0/16`,
    ]);
  });

  it('bad gateways, ranges and static addresses are located errors', () => {
    const r = load(
      'services:\n  s:\n    image: a\n    networks: {n: {ipv4_address: 10.0.0.300, ipv6_address: "fd00::x"}}\nnetworks:\n  n:\n    ipam: {config: [{subnet: 10.0.0.0/24, gateway: gw, ip_range: 10.0.0.0}]}\n',
    );
    expect(r.errors).toEqual([
      `${FILE}:4:34: services.s.networks.n.ipv4_address: found "10.0.0.300", expected an IPv4 address`,
      `${FILE}:4:60: services.s.networks.n.ipv6_address: found "fd00::x", expected an IPv6 address`,
      `${FILE}:7:66: networks.n.ipam.config[0].ip_range: found "10.0.0.0", expected a range in CIDR form such as 172.28.5.0/24`,
      `${FILE}:7:52: networks.n.ipam.config[0].gateway: found "gw", expected an IP address`,
    ]);
  });

  it('keeps top-level x- keys', () => {
    expect(load('x-common: &c {a: 1}\nservices: {}\n').project.extensions).toEqual({ 'x-common': { a: 1 } });
  });
});

describe('profiles', () => {
  const text = [
    'services:',
    '  web: {image: nginx}',
    '  debug: {image: busybox, profiles: [debug]}',
    '  mail: {image: mailhog, profiles: [dev, test]}',
    '',
  ].join('\n');

  it('services without profiles are enabled; others only when a profile is active', () => {
    const r = load(text);
    expect(Object.keys(r.project.services)).toEqual(['web']);
    expect(Object.keys(r.project.disabledServices)).toEqual(['debug', 'mail']);
    expect(r.project.profiles).toEqual(['debug', 'dev', 'test']);
    const dev = load(text, { activeProfiles: ['test'] });
    expect(Object.keys(dev.project.services)).toEqual(['web', 'mail']);
    expect(dev.project.activeProfiles).toEqual(['test']);
    expect(Object.keys(load(text, { activeProfiles: ['*'] }).project.services)).toEqual(['web', 'debug', 'mail']);
  });

  it('depending on a disabled service is an error unless required: false', () => {
    const req = load('services:\n  web: {image: a, depends_on: [db]}\n  db: {image: b, profiles: [db]}\n');
    expect(req.errors).toEqual([`${FILE}:2:32: services.web.depends_on.db: service "web" depends on service "db", which is disabled (its profiles are not active)`]);
    const opt = load('services:\n  web: {image: a, depends_on: {db: {condition: service_started, required: false}}}\n  db: {image: b, profiles: [db]}\n');
    expect(opt.errors).toEqual([]);
    expect(opt.warnings[0]).toContain('ignored because required: false');
    expect(opt.project.services['web']!.dependsOn).toEqual({});
  });
});

describe('project checks', () => {
  it('depends_on an unknown service', () => {
    expect(load('services:\n  web:\n    image: a\n    depends_on: [dbb]\n').errors).toEqual([
      `${FILE}:4:18: services.web.depends_on.dbb: service "web" depends on undefined service "dbb"`,
    ]);
  });

  it('dependency cycles name the cycle', () => {
    const r = load('services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n');
    expect(r.errors).toEqual([`${FILE}:2:30: services.a.depends_on.b: dependency cycle: a -> b -> c -> a`]);
    expect(load('services:\n  a: {image: x, depends_on: [a]}\n').errors).toEqual([
      `${FILE}:2:30: services.a.depends_on.a: dependency cycle: a -> a`,
    ]);
  });

  it('undeclared networks and network_mode service:X unknown', () => {
    expect(load('services:\n  web:\n    image: a\n    networks: [front]\n').errors).toEqual([
      `${FILE}:4:16: services.web.networks.front: service "web" refers to undefined network "front" (declare it under the top-level networks:)`,
    ]);
    expect(load('services:\n  web:\n    image: a\n    network_mode: "service:vpn"\n').errors).toEqual([
      `${FILE}:4:19: services.web.network_mode: service "web" uses the network of undefined or disabled service "vpn"`,
    ]);
  });

  it('links and volumes_from imply start-order dependencies, as in Compose', () => {
    const r = load('services:\n  db: {image: pg}\n  store: {image: x}\n  web: {image: a, links: ["db:database"], volumes_from: ["store:ro"]}\n');
    expect(r.errors).toEqual([]);
    expect(r.project.services['web']!.dependsOn).toEqual({
      db: { condition: 'service_started', required: true, restart: true },
      store: { condition: 'service_started', required: true, restart: false },
    });
    expect(r.project.services['web']!.volumesFrom).toEqual(['store:ro']);
  });

  it('volumes_from an unknown service; container: sources are not checked', () => {
    expect(load('services:\n  web:\n    image: a\n    volumes_from: [store, "container:old"]\n').errors).toEqual([
      `${FILE}:4:20: services.web.volumes_from[0]: service "web" mounts volumes from undefined or disabled service "store"`,
    ]);
  });

  it('image missing with no build', () => {
    expect(load('services:\n  web:\n    restart: always\n').errors).toEqual([
      `${FILE}:2:3: services.web: service "web" has neither an image nor a build context specified`,
    ]);
  });

  it('the same container_name on two services', () => {
    expect(load('services:\n  a: {image: x, container_name: c1}\n  b: {image: x, container_name: c1}\n').errors).toEqual([
      `${FILE}:3:33: services.b.container_name: container_name "c1" is already used by service "a"`,
    ]);
  });

  it('reports all problems at once, never throws on odd input', () => {
    const r = load('services:\n  a: {depends_on: [zz], networks: [nn], volumes: ["vv:/v"]}\n');
    expect(r.errors).toHaveLength(4);
    expect(load('services:\n  a:\n').errors).toEqual([`${FILE}:2:3: services.a: service "a" has neither an image nor a build context specified`]);
    expect(load('').project.services).toEqual({});
  });
});
