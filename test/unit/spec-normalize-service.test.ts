import { describe, expect, it } from 'vitest';
import { FILE, load, service, serviceErrors } from './spec-normalize-helpers.js';

describe('environment and labels', () => {
  it('list form, with a bare name taken from the caller environment (left out when unset)', () => {
    const s = service('environment: ["A=1", "B=x=y", "EMPTY=", "FROM_ENV", "UNSET"]', { env: { FROM_ENV: 'host', HOME: '/h' } });
    expect(s.environment).toEqual({ A: '1', B: 'x=y', EMPTY: '', FROM_ENV: 'host' });
  });

  it('map form stringifies scalars; null takes the caller environment', () => {
    const s = service('environment: {N: 3, T: true, F: 1.5, S: "x", FROM_ENV: null, GONE: null}', { env: { FROM_ENV: 'v' } });
    expect(s.environment).toEqual({ N: '3', T: 'true', F: '1.5', S: 'x', FROM_ENV: 'v' });
  });

  it('labels and annotations in list and map form', () => {
    expect(service('labels: ["com.example.a=1", "flag"]').labels).toEqual({ 'com.example.a': '1', flag: '' });
    expect(service('labels: {a: 1, b: null}').labels).toEqual({ a: '1', b: '' });
    expect(service('annotations: {x: y}').annotations).toEqual({ x: 'y' });
  });
});

describe('command and entrypoint', () => {
  it('string forms are shell-split with quotes respected', () => {
    const s = service(`command: bundle exec rails s -b '0.0.0.0' -p "3000"\nentrypoint: /docker-entrypoint.sh --flag`);
    expect(s.command).toEqual(['bundle', 'exec', 'rails', 's', '-b', '0.0.0.0', '-p', '3000']);
    expect(s.entrypoint).toEqual(['/docker-entrypoint.sh', '--flag']);
  });

  it('list forms are kept; empty lists are explicit; absent is undefined', () => {
    expect(service('command: ["sh", "-c", "echo $$HOME"]').command).toEqual(['sh', '-c', 'echo $$HOME']);
    expect(service('entrypoint: []').entrypoint).toEqual([]);
    const s = service('init: true');
    expect(s.command).toBeUndefined();
    expect(s.entrypoint).toBeUndefined();
  });

  it('unbalanced quotes are a located error', () => {
    expect(serviceErrors(`command: echo "oops`)).toEqual([
      `${FILE}:4:14: services.s.command: found string "echo \\"oops", expected a command with balanced quotes (unterminated ")`,
    ]);
  });
});

describe('depends_on', () => {
  const two = (dep: string) => load(`services:\n  db:\n    image: postgres\n  s:\n    image: busybox\n    depends_on: ${dep}\n`);

  it('list form: started, required, no restart', () => {
    expect(two('[db]').project.services['s']!.dependsOn).toEqual({
      db: { condition: 'service_started', required: true, restart: false },
    });
  });

  it('map form with condition, required and restart', () => {
    const r = two('{db: {condition: service_healthy, restart: true, required: false}}');
    expect(r.project.services['s']!.dependsOn).toEqual({ db: { condition: 'service_healthy', required: false, restart: true } });
    expect(two('{db: {condition: service_completed_successfully}}').project.services['s']!.dependsOn['db']!.condition).toBe(
      'service_completed_successfully',
    );
  });
});

describe('healthcheck', () => {
  it('CMD list with all timings', () => {
    const s = service('healthcheck:\n  test: ["CMD", "curl", "-f", "http://localhost"]\n  interval: 1m30s\n  timeout: 10s\n  retries: 5\n  start_period: 40s\n  start_interval: 1s');
    expect(s.healthcheck).toEqual({
      kind: 'check',
      test: { kind: 'cmd', argv: ['curl', '-f', 'http://localhost'] },
      intervalMs: 90_000,
      timeoutMs: 10_000,
      retries: 5,
      startPeriodMs: 40_000,
      startIntervalMs: 1_000,
    });
  });

  it('CMD-SHELL list and plain string are shell tests, with defaults', () => {
    const shell = { kind: 'check', test: { kind: 'shell', command: 'pg_isready -U postgres' }, intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5_000 };
    expect(service('healthcheck: {test: ["CMD-SHELL", "pg_isready -U postgres"]}').healthcheck).toEqual(shell);
    expect(service('healthcheck: {test: "pg_isready -U postgres"}').healthcheck).toEqual(shell);
  });

  it('NONE and disable: true turn it off', () => {
    expect(service('healthcheck: {test: ["NONE"]}').healthcheck).toEqual({ kind: 'none' });
    expect(service('healthcheck: {disable: true}').healthcheck).toEqual({ kind: 'none' });
  });

  it('disable: true with a test set warns that the test is ignored', () => {
    const r = load('services:\n  s:\n    image: a\n    healthcheck: {disable: true, test: ["CMD", "true"]}\n');
    expect(r.project.services['s']!.healthcheck).toEqual({ kind: 'none' });
    expect(r.warnings).toEqual([`${FILE}:4:40: services.s.healthcheck.test: ignored because healthcheck.disable is true`]);
  });

  it('timings alone keep the image test; absent is undefined', () => {
    expect(service('healthcheck: {interval: 5s}').healthcheck).toEqual({
      kind: 'check',
      intervalMs: 5_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
      startIntervalMs: 5_000,
    });
    expect(service('init: false').healthcheck).toBeUndefined();
  });

  it('an unknown test form is an error', () => {
    expect(serviceErrors('healthcheck: {test: ["RUN", "x"]}')[0]).toContain(
      'services.s.healthcheck.test: found ["RUN","x"], expected ["CMD", "prog", "arg"...], ["CMD-SHELL", "command"] or ["NONE"]',
    );
  });
});

describe('simple keys', () => {
  it('init, user, working_dir, hostname, domainname, container_name, tty, stdin_open, privileged, read_only', () => {
    const s = service('init: true\nuser: "1000:1000"\nworking_dir: /app\nhostname: web1\ndomainname: example.com\ncontainer_name: my-web\ntty: true\nstdin_open: "true"\nprivileged: true\nread_only: true');
    expect(s).toMatchObject({
      init: true,
      user: '1000:1000',
      workingDir: '/app',
      hostname: 'web1',
      domainname: 'example.com',
      containerName: 'my-web',
      tty: true,
      stdinOpen: true,
      privileged: true,
      readOnly: true,
    });
  });

  it('defaults when absent', () => {
    const s = service('labels: {}');
    expect(s).toMatchObject({ init: false, readOnly: false, stopGracePeriodMs: 10_000, replicas: 1, pullPolicy: 'missing', restart: { condition: 'no' } });
    expect(s.stopSignal).toBeUndefined();
    expect(s.user).toBeUndefined();
    expect(s.tscompose).toEqual({ lb: 'round-robin' });
  });

  it('numeric user is kept as a string', () => {
    expect(service('user: 1000').user).toBe('1000');
  });

  it('cap_add/cap_drop upper case with CAP_ prefix, ALL kept', () => {
    const s = service('cap_add: [net_admin, CAP_SYS_TIME, sys_ptrace]\ncap_drop: [all]');
    expect(s.capAdd).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_TIME', 'CAP_SYS_PTRACE']);
    expect(s.capDrop).toEqual(['ALL']);
  });

  it('stop_signal to SIGXXX and stop_grace_period to ms', () => {
    expect(service('stop_signal: int').stopSignal).toBe('SIGINT');
    expect(service('stop_signal: SIGUSR2').stopSignal).toBe('SIGUSR2');
    expect(service('stop_grace_period: 1m30s').stopGracePeriodMs).toBe(90_000);
    expect(serviceErrors('stop_signal: SIGNOPE')[0]).toContain('services.s.stop_signal: found string "SIGNOPE", expected a signal name');
  });

  it('ulimits as a number or soft/hard', () => {
    expect(service('ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}').ulimits).toEqual({
      nproc: { soft: 65535, hard: 65535 },
      nofile: { soft: 20000, hard: 40000 },
    });
    expect(serviceErrors('ulimits: {nofile: {soft: 2, hard: 1}}')[0]).toContain('soft limit 2 is above hard limit 1');
  });

  it('extra_hosts in list ("h:ip", "h=ip", IPv6) and map forms', () => {
    expect(service('extra_hosts: ["somehost:162.242.195.82", "other=50.31.209.229", "myhostv6:::1", "br:[::2]", "gw:host-gateway"]').extraHosts).toEqual([
      { hostname: 'somehost', ip: '162.242.195.82' },
      { hostname: 'other', ip: '50.31.209.229' },
      { hostname: 'myhostv6', ip: '::1' },
      { hostname: 'br', ip: '::2' },
      { hostname: 'gw', ip: 'host-gateway' },
    ]);
    expect(service('extra_hosts: {a: 10.0.0.1, b: ["10.0.0.2", "::3"]}').extraHosts).toEqual([
      { hostname: 'a', ip: '10.0.0.1' },
      { hostname: 'b', ip: '10.0.0.2' },
      { hostname: 'b', ip: '::3' },
    ]);
  });

  it('dns, dns_search as string or list; dns_opt; sysctls as list or map', () => {
    const s = service('dns: 8.8.8.8\ndns_search: [a.example, b.example]\ndns_opt: [use-vc]\nsysctls: ["net.core.somaxconn=1024"]');
    expect(s.dns).toEqual(['8.8.8.8']);
    expect(s.dnsSearch).toEqual(['a.example', 'b.example']);
    expect(s.dnsOpt).toEqual(['use-vc']);
    expect(s.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
    expect(service('sysctls: {net.ipv4.tcp_syncookies: 0}').sysctls).toEqual({ 'net.ipv4.tcp_syncookies': '0' });
  });

  it('x-tscompose lb and other x- keys', () => {
    const s = service('x-tscompose: {lb: least-connections}\nx-note: {a: 1}');
    expect(s.tscompose).toEqual({ lb: 'least-connections' });
    expect(s.extensions).toEqual({ 'x-note': { a: 1 } });
  });

  it('pull_policy: if_not_present is missing; daily, weekly and every_<duration> are kept; refresh warns', () => {
    expect(service('pull_policy: always').pullPolicy).toBe('always');
    expect(service('pull_policy: if_not_present').pullPolicy).toBe('missing');
    expect(service('pull_policy: daily').pullPolicy).toBe('daily');
    expect(service('pull_policy: weekly').pullPolicy).toBe('weekly');
    expect(service('pull_policy: every_12h').pullPolicy).toBe('every_12h');
    const r = load('services:\n  s:\n    image: a\n    pull_policy: refresh\n');
    expect(r.project.services['s']!.pullPolicy).toBe('missing');
    expect(r.warnings[0]).toContain('pull_policy "refresh"');
  });

  it('logging driver and options', () => {
    expect(service('logging: {driver: json-file, options: {max-size: 10m, max-file: 3}}').logging).toEqual({
      driver: 'json-file',
      options: { 'max-size': '10m', 'max-file': '3' },
    });
  });
});

describe('build', () => {
  it('string form is the context; image defaults to <project>-<service>', () => {
    const r = load('services:\n  api:\n    build: ./api\n');
    expect(r.errors).toEqual([]);
    expect(r.project.services['api']).toMatchObject({
      image: 'app-api',
      build: { context: '/srv/app/api', dockerfile: 'Dockerfile', args: {}, labels: {} },
    });
  });

  it('long form with args (bare name from the environment), target, labels and an explicit image', () => {
    const r = load(
      'services:\n  api:\n    image: registry.local/api:1\n    build:\n      context: .\n      dockerfile: docker/Dockerfile.prod\n      args: [VERSION=1.2, TOKEN, MISSING]\n      target: prod\n      labels: {a: b}\n',
      { env: { TOKEN: 't0k' } },
    );
    expect(r.project.services['api']).toMatchObject({
      image: 'registry.local/api:1',
      build: { context: '/srv/app', dockerfile: 'docker/Dockerfile.prod', args: { VERSION: '1.2', TOKEN: 't0k' }, target: 'prod', labels: { a: 'b' } },
    });
  });

  it('a remote context is kept as written', () => {
    expect(service('build: https://github.com/x/y.git#main').build?.context).toBe('https://github.com/x/y.git#main');
  });
});

describe('develop.watch', () => {
  it('normalizes paths, lists and exec', () => {
    const s = service(
      'develop:\n  watch:\n    - {action: sync, path: ./src, target: /app/src, ignore: node_modules/, initial_sync: true}\n    - {action: rebuild, path: package.json}\n    - {action: sync+exec, path: ./web, target: /srv, exec: {command: "nginx -s reload", user: root}}',
    );
    expect(s.develop).toEqual({
      watch: [
        { action: 'sync', path: '/srv/app/src', target: '/app/src', ignore: ['node_modules/'], include: [], initialSync: true },
        { action: 'rebuild', path: '/srv/app/package.json', ignore: [], include: [], initialSync: false },
        {
          action: 'sync+exec',
          path: '/srv/app/web',
          target: '/srv',
          ignore: [],
          include: [],
          initialSync: false,
          exec: { command: ['nginx', '-s', 'reload'], user: 'root', environment: {} },
        },
      ],
    });
  });

  it('sync without target is an error', () => {
    expect(serviceErrors('develop: {watch: [{action: sync, path: ./src}]}')[0]).toContain(
      'services.s.develop.watch[0]: missing "target", expected the container path that action "sync" syncs to',
    );
  });
});
