import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadMerged } from '../../src/spec/load.js';
import type { LoadOptions } from '../../src/spec/index.js';
import { TscError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh project tree: { 'path/in/tree': content }. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), `spec-load-${process.pid}-`));
  dirs.push(root);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

type Svc = Record<string, unknown>;
function services(opts: LoadOptions): Record<string, Svc> {
  return (loadMerged({ env: {}, ...opts }).doc.data as { services: Record<string, Svc> }).services;
}
function fail(opts: LoadOptions): TscError {
  try {
    loadMerged({ env: {}, ...opts });
  } catch (e) {
    if (e instanceof TscError) return e;
    throw e;
  }
  throw new Error('expected a TscError');
}

describe('discovery and project name', () => {
  it('finds compose.yaml in a parent directory with its override file beside it', () => {
    const root = tree({
      'app/compose.yaml': 'services:\n  web:\n    image: a\n',
      'app/compose.override.yaml': 'services:\n  web:\n    image: b\n',
      'app/src/deep/.keep': '',
    });
    const m = loadMerged({ env: {}, cwd: join(root, 'app/src/deep') });
    expect(m.ctx.composeFiles).toEqual([join(root, 'app/compose.yaml'), join(root, 'app/compose.override.yaml')]);
    expect(m.ctx.workingDir).toBe(join(root, 'app'));
    expect(m.ctx.projectName).toBe('app');
    expect((m.doc.data as { services: { web: Svc } }).services.web.image).toBe('b');
  });

  it('prefers compose.yaml over docker-compose.yml and takes docker-compose.override.yml with the latter', () => {
    const a = tree({ 'compose.yaml': 'services: {a: {image: x}}\n', 'docker-compose.yml': 'services: {b: {image: x}}\n' });
    expect(Object.keys(services({ cwd: a }))).toEqual(['a']);
    const b = tree({ 'docker-compose.yml': 'services: {b: {image: x}}\n', 'docker-compose.override.yml': 'services: {c: {image: y}}\n' });
    expect(Object.keys(services({ cwd: b }))).toEqual(['b', 'c']);
  });

  it('reports a missing file or no file at all', () => {
    const root = tree({ 'x.txt': '' });
    expect(fail({ cwd: root }).code).toBe('SPEC_NOT_FOUND');
    expect(fail({ cwd: root, files: ['nope.yaml'] }).code).toBe('SPEC_NOT_FOUND');
  });

  it('COMPOSE_FILE with COMPOSE_PATH_SEPARATOR, read from .env too', () => {
    const root = tree({
      'a.yaml': 'services: {web: {image: a, restart: always}}\n',
      'b.yaml': 'services: {web: {image: b}}\n',
      '.env': 'COMPOSE_FILE=a.yaml;b.yaml\nCOMPOSE_PATH_SEPARATOR=;\n',
    });
    expect(services({ cwd: root }).web).toEqual({ image: 'b', restart: 'always' });
    expect(services({ cwd: root, env: { COMPOSE_FILE: 'a.yaml' } }).web).toEqual({ image: 'a', restart: 'always' });
  });

  it('project name: -p > COMPOSE_PROJECT_NAME > name: > normalized directory name', () => {
    const root = tree({ 'My Project.Dir/compose.yaml': 'services: {a: {image: x}}\n', 'named/compose.yaml': 'name: fromfile\nservices: {a: {image: x}}\n' });
    const plain = join(root, 'My Project.Dir');
    expect(loadMerged({ env: {}, cwd: plain }).ctx.projectName).toBe('myprojectdir');
    expect(loadMerged({ env: {}, cwd: join(root, 'named') }).ctx.projectName).toBe('fromfile');
    expect(loadMerged({ env: { COMPOSE_PROJECT_NAME: 'envname' }, cwd: join(root, 'named') }).ctx.projectName).toBe('envname');
    expect(loadMerged({ env: { COMPOSE_PROJECT_NAME: 'envname' }, cwd: plain, projectName: 'flag' }).ctx.projectName).toBe('flag');
    expect(fail({ cwd: plain, projectName: 'Bad Name' }).code).toBe('USAGE');
  });

  it('--project-directory sets the working dir and where .env is read', () => {
    const root = tree({ 'files/compose.yaml': 'services: {a: {image: "${IMG}"}}\n', 'proj/.env': 'IMG=from-proj\n' });
    const m = loadMerged({ env: {}, cwd: root, files: ['files/compose.yaml'], projectDirectory: 'proj' });
    expect(m.ctx.workingDir).toBe(join(root, 'proj'));
    expect(m.ctx.projectName).toBe('proj');
    expect((m.doc.data as { services: { a: Svc } }).services.a.image).toBe('from-proj');
  });

  it('reads "-" from stdin content', () => {
    const root = tree({});
    expect(services({ cwd: root, files: ['-'], stdin: 'services: {s: {image: x}}\n' }).s).toEqual({ image: 'x' });
  });
});

describe('environment and interpolation', () => {
  it('.env in the project directory, the OS environment winning; --env-file replaces .env', () => {
    const root = tree({
      'compose.yaml': 'services:\n  a:\n    image: "${IMG}:${TAG:-latest}"\n    environment: ["FROM_ENV=${OTHER}"]\n',
      '.env': 'IMG=dotenv\nOTHER=o\n',
      'alt.env': 'IMG=alt\n',
    });
    expect(services({ cwd: root }).a?.image).toBe('dotenv:latest');
    expect(services({ cwd: root, env: { IMG: 'os', TAG: '1' } }).a?.image).toBe('os:1');
    expect(services({ cwd: root, envFiles: ['alt.env'] }).a).toEqual({ image: 'alt:latest', environment: ['FROM_ENV='] });
    expect(fail({ cwd: root, envFiles: ['missing.env'] }).code).toBe('SPEC_NOT_FOUND');
    expect(services({ cwd: root, env: { COMPOSE_ENV_FILES: 'alt.env' } }).a?.image).toBe('alt:latest');
  });

  it('--no-interpolate keeps the text', () => {
    const root = tree({ 'compose.yaml': 'services: {a: {image: "${IMG:?no}"}}\n' });
    expect(services({ cwd: root, interpolate: false }).a?.image).toBe('${IMG:?no}');
  });

  it('a missing required variable is a located SPEC_INTERPOLATION error', () => {
    const root = tree({ 'compose.yaml': 'services:\n  a:\n    image: "${IMG:?set IMG}"\n' });
    const e = fail({ cwd: root });
    expect(e.code).toBe('SPEC_INTERPOLATION');
    expect(e.details).toEqual([`${join(root, 'compose.yaml')}:3:12: services.a.image: required variable IMG is missing a value: set IMG`]);
  });
});

describe('env_file of services', () => {
  it('folds env files (in order) under environment, relative to the project directory', () => {
    const root = tree({
      'compose.yaml': 'services:\n  a:\n    image: x\n    env_file: [one.env, {path: opt.env, required: false}, two.env]\n    environment: [B=own, PASS]\n',
      'one.env': 'A=1\nB=1\nC=1\n',
      'two.env': 'C=2\nREF=${HOST_VAR}\n',
    });
    const a = services({ cwd: root, env: { HOST_VAR: 'h' } }).a as Svc;
    expect(a.env_file).toBeUndefined();
    expect(a.environment).toEqual({ A: '1', B: 'own', C: '2', REF: 'h', PASS: null });
  });

  it('a missing required env file is a located error', () => {
    const root = tree({ 'compose.yaml': 'services:\n  a:\n    image: x\n    env_file: gone.env\n' });
    const e = fail({ cwd: root });
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.details[0]).toMatch(new RegExp(`^${join(root, 'compose.yaml')}:4:15: services\\.a\\.env_file: env file .*gone\\.env not found`));
  });

  it('environment of a later file wins over env_file of an earlier one only by key', () => {
    const root = tree({
      'a.yaml': 'services:\n  s:\n    image: x\n    environment: {K: base}\n',
      'b.yaml': 'services:\n  s:\n    env_file: b.env\n',
      'b.env': 'K=file\nL=file\n',
    });
    expect(services({ cwd: root, files: ['a.yaml', 'b.yaml'] }).s?.environment).toEqual({ K: 'base', L: 'file' });
  });
});

describe('extends', () => {
  it('same file and other file, recursively, with paths rebased to the other file', () => {
    const root = tree({
      'compose.yaml': [
        'services:',
        '  base:',
        '    image: base',
        '    environment: {A: "1"}',
        '    depends_on: [db]',
        '  db: {image: pg}',
        '  web:',
        '    extends: base',
        '    environment: {B: "2"}',
        '  api:',
        '    extends: {file: lib/common.yaml, service: app}',
        '    command: ["serve"]',
      ].join('\n'),
      'lib/common.yaml': 'services:\n  root:\n    build: ./ctx\n    volumes: ["./data:/data", "named:/n"]\n  app:\n    extends: root\n    env_file: app.env\n',
      'lib/app.env': 'FROM_FILE=yes\n',
    });
    const s = services({ cwd: root });
    expect(s.web).toEqual({ image: 'base', environment: { A: '1', B: '2' } });
    expect(s.api).toEqual({
      build: join(root, 'lib/ctx'),
      volumes: [`${join(root, 'lib/data')}:/data`, 'named:/n'],
      environment: { FROM_FILE: 'yes' },
      command: ['serve'],
    });
  });

  it('!reset and !override apply to what extends brings in; included services can be extended', () => {
    const root = tree({
      'compose.yaml': [
        'include: [lib.yaml]',
        'services:',
        '  base: {image: b, ports: ["80:80"], environment: {A: "1"}}',
        '  web:',
        '    extends: base',
        '    ports: !reset []',
        '    environment: !override {B: "2"}',
        '  worker:',
        '    extends: shared',
        '    command: [work]',
      ].join('\n'),
      'lib.yaml': 'services:\n  shared: {image: lib}\n',
    });
    const s = services({ cwd: root });
    expect(s.web).toEqual({ image: 'b', environment: { B: '2' } });
    expect(s.worker).toEqual({ image: 'lib', command: ['work'] });
  });

  it('cycles and missing bases are located errors', () => {
    const root = tree({ 'compose.yaml': 'services:\n  a:\n    extends: b\n  b:\n    extends: a\n  c:\n    extends: {service: nope}\n' });
    const e = fail({ cwd: root });
    expect(e.details.some((d) => /compose\.yaml:\d+:\d+: services\.\w\.extends: circular extends/.test(d))).toBe(true);
    expect(e.details.some((d) => /compose\.yaml:7:\d+: services\.c\.extends\.service: cannot extend service "nope"/.test(d))).toBe(true);
  });
});

describe('include', () => {
  it('loads included projects with their own directory and .env', () => {
    const root = tree({
      'compose.yaml': 'include:\n  - sub/compose.yaml\n  - path: other/x.yaml\n    env_file: other/vars.env\nservices:\n  web: {image: web, depends_on: [db]}\n',
      'sub/compose.yaml': 'services:\n  db:\n    image: "pg:${PGTAG}"\n    volumes: ["./init:/docker-entrypoint-initdb.d"]\nvolumes: {data: {}}\n',
      'sub/.env': 'PGTAG=16\n',
      'other/x.yaml': 'services:\n  cache: {image: "redis:${RTAG}"}\n',
      'other/vars.env': 'RTAG=7\n',
    });
    const m = loadMerged({ env: {}, cwd: root });
    const data = m.doc.data as { services: Record<string, Svc>; volumes: object; include?: unknown };
    expect(Object.keys(data.services).sort()).toEqual(['cache', 'db', 'web']);
    expect(data.services.db).toEqual({ image: 'pg:16', volumes: [`${join(root, 'sub/init')}:/docker-entrypoint-initdb.d`] });
    expect(data.services.cache?.image).toBe('redis:7');
    expect(data.volumes).toEqual({ data: {} });
    expect(data.include).toBeUndefined();
  });

  it('conflicting names and include cycles are errors', () => {
    const root = tree({
      'compose.yaml': 'include: [sub.yaml]\nservices:\n  db: {image: mine}\n',
      'sub.yaml': 'services:\n  db: {image: theirs}\n',
      'loop/compose.yaml': 'include: [b.yaml]\nservices: {a: {image: x}}\n',
      'loop/b.yaml': 'include: [compose.yaml]\nservices: {b: {image: x}}\n',
    });
    expect(fail({ cwd: root }).details[0]).toMatch(/services\.db conflicts with imported resource/);
    expect(fail({ cwd: join(root, 'loop') }).details.join('\n')).toMatch(/include cycle/);
    const dirInclude = tree({ 'compose.yaml': 'include: [sub]\nservices: {a: {image: x}}\n', 'sub/.keep': '' });
    expect(fail({ cwd: dirInclude }).details[0]).toMatch(/compose\.yaml:1:11: include\[0\]: included path .*sub is not a file/);
  });
});

describe('profiles', () => {
  const files = {
    'compose.yaml': 'services:\n  web: {image: w}\n  debug: {image: d, profiles: [debug]}\n  tools: {image: t, profiles: [ops, tools]}\n',
  };
  it('--profile, COMPOSE_PROFILES, "*" and services named on the command line', () => {
    const root = tree(files);
    const active = (o: LoadOptions): string[] => loadMerged({ env: {}, cwd: root, ...o }).ctx.activeProfiles.sort();
    expect(active({})).toEqual([]);
    expect(active({ profiles: ['debug'] })).toEqual(['debug']);
    expect(active({ env: { COMPOSE_PROFILES: 'ops, debug' } })).toEqual(['debug', 'ops']);
    expect(active({ profiles: ['*'] })).toEqual(['debug', 'ops', 'tools']);
    expect(active({ services: ['tools'] })).toEqual(['ops', 'tools']);
  });
});
