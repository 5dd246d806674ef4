/**
 * `tscompose config` against Docker Compose's documented behaviour (issue-3 acceptance audit): each test writes
 * its own small project in a fresh temp dir and runs the built CLI (npm test builds dist/ first).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/tscompose.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), `cli-config-compat-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh project dir holding `files` (relative path -> content). */
function project(files: Record<string, string>): string {
  const dir = join(root, `p${++n}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

function run(cwd: string, args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, input, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function out(cwd: string, args: string[], env: Record<string, string> = {}, input?: string): string {
  const r = run(cwd, args, env, input);
  expect(r.status, `tscompose ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function json(cwd: string, args: string[], env: Record<string, string> = {}): any {
  return JSON.parse(out(cwd, [...args, 'config', '--format', 'json'], env));
}

describe('env_file', () => {
  it('format: raw keeps values as written; required: false skips a missing file', () => {
    const dir = project({
      'compose.yaml': 'services:\n  web:\n    image: a\n    env_file:\n      - a.env\n      - {path: missing.env, required: false}\n      - {path: raw.env, format: raw}\n',
      'a.env': 'A="quoted" # c\n',
      'raw.env': 'R=$X "q" # not a comment\n',
    });
    const env = json(dir, []).services.web.environment;
    // a literal $ prints as $$ (as docker compose config)
    expect(env).toEqual({ A: 'quoted', R: '$$X "q" # not a comment' });
  });

  it('an unknown format is a located error', () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: a\n    env_file:\n      - {path: a.env, format: yaml}\n', 'a.env': 'A=1\n' });
    const r = run(dir, ['config']);
    expect(r.status).toBe(15);
    expect(r.stderr).toMatch(/compose\.yaml:5:\d+: services\.web\.env_file\[0\]\.format: unsupported env_file format "yaml"/);
  });
});

describe('COMPOSE_PROJECT_NAME is exposed to the file (compose spec: name top-level element)', () => {
  it('interpolates to the top-level name, to -p, or to the directory name; bare environment entry resolves', () => {
    const file = 'services:\n  web:\n    image: "img-${COMPOSE_PROJECT_NAME}"\n    environment: [COMPOSE_PROJECT_NAME]\n';
    const dir = project({ 'compose.yaml': file, 'named.yaml': `name: \${PN:-fromfile}\n${file}` });
    const fromDir = json(dir, []);
    expect(fromDir.services.web.image).toBe(`img-${fromDir.name}`);
    expect(fromDir.services.web.environment).toEqual({ COMPOSE_PROJECT_NAME: fromDir.name });
    expect(json(dir, ['-f', 'named.yaml']).services.web.image).toBe('img-fromfile');
    expect(json(dir, ['-f', 'named.yaml'], { PN: 'viaenv' }).services.web.image).toBe('img-viaenv');
    expect(json(dir, ['-p', 'flag', '-f', 'named.yaml']).services.web.image).toBe('img-flag');
    expect(json(dir, [], { COMPOSE_PROJECT_NAME: 'envname' }).services.web.environment).toEqual({ COMPOSE_PROJECT_NAME: 'envname' });
  });
});

describe('config flags documented for docker compose config', () => {
  const file = 'services:\n  web:\n    image: "nginx:${TAG:-1.27}"\n    environment: ["X=${X:?x is needed}"]\n  db:\n    image: postgres\n';

  it('--variables prints a NAME / REQUIRED / DEFAULT VALUE / ALTERNATE VALUE table without needing the values', () => {
    const dir = project({ 'compose.yaml': file });
    const lines = out(dir, ['config', '--variables']).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+REQUIRED\s+DEFAULT VALUE\s+ALTERNATE VALUE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual([['TAG', 'false', '1.27'], ['X', 'true']]);
  });

  it('--hash prints "service hash" lines, sorted; the hash follows the config', () => {
    const dir = project({ 'compose.yaml': file });
    const env = { X: '1' };
    const all = out(dir, ['config', '--hash', '*'], env).trimEnd().split('\n');
    expect(all.map((l) => l.split(' ')[0])).toEqual(['db', 'web']);
    for (const l of all) expect(l).toMatch(/^\w+ [0-9a-f]{64}$/);
    expect(out(dir, ['config', '--hash', 'web'], env)).toBe(`${all[1]}\n`);
    expect(out(dir, ['config', '--hash', 'web'], { ...env, TAG: '2' })).not.toBe(`${all[1]}\n`);
    expect(run(dir, ['config', '--hash', 'nope'], env).stderr).toContain('no such service: nope');
  });

  it('--environment prints the interpolation environment; convert is an alias of config', () => {
    const dir = project({ 'compose.yaml': file, '.env': 'TAG=from-dotenv\nX=1\n' });
    const env = out(dir, ['config', '--environment'], { FROM_SHELL: 'yes' }).split('\n');
    expect(env).toContain('TAG=from-dotenv');
    expect(env).toContain('FROM_SHELL=yes');
    expect(out(dir, ['convert', '--services'])).toBe('db\nweb\n');
  });
});

describe('config --no-interpolate', () => {
  it('accepts ${VAR} where a number, size or port is expected, and prints it as written', () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n    ports: ["${P:-8080}:80"]\n    cpus: ${CPUS:-1}\n    mem_limit: ${MEM:-1g}\n' });
    const text = out(dir, ['config', '--no-interpolate']);
    expect(text).toMatch(/^name: /);
    expect(text).toContain('cpus: ${CPUS:-1}');
    expect(text).toContain('mem_limit: ${MEM:-1g}');
    expect(text).toContain('${P:-8080}:80');
    // interpolated, the same file is normalized; a wrong value is still an error
    expect(out(dir, ['config'])).toContain('mem_limit: 1073741824');
    const bad = run(dir, ['config'], { CPUS: 'x' });
    expect(bad.status).toBe(15);
    expect(bad.stderr).toMatch(/compose\.yaml:5:\d+: services\.web\.cpus: found string "x", expected a number/);
  });
});

describe('.env of the working directory and of the project directory (compose-go WithDotEnv twice)', () => {
  it('COMPOSE_FILE and COMPOSE_PROJECT_NAME from ./.env stay; the project dir .env adds the rest', () => {
    const dir = project({
      '.env': 'COMPOSE_FILE=sub/base.yaml\nCOMPOSE_PROJECT_NAME=fromdotenv\nA=cwd\n',
      'sub/.env': 'A=sub\nB=sub\n',
      'sub/base.yaml': 'services:\n  web:\n    image: "img:${A}-${B}"\n',
    });
    const model = json(dir, []);
    expect(model.name).toBe('fromdotenv');
    expect(model.services.web.image).toBe('img:cwd-sub');
  });
});

describe('include: the including project environment wins over the included env files (compose-go Merge)', () => {
  it('the project .env reaches included files; include env_file only adds unset variables', () => {
    const dir = project({
      '.env': 'V=fromproject\n',
      'lib/a.yaml': 'services:\n  lib:\n    image: "lib:${V:-none}-${W:-none}"\n',
      'lib/e.env': 'V=fromincl\nW=fromincl\n',
      'compose.yaml': 'include:\n  - path: lib/a.yaml\n    env_file: lib/e.env\nservices:\n  main: {image: m}\n',
      'plain.yaml': 'include:\n  - lib/a.yaml\nservices:\n  main: {image: m}\n',
    });
    expect(json(dir, []).services.lib.image).toBe('lib:fromproject-fromincl');
    expect(json(dir, ['-f', 'plain.yaml']).services.lib.image).toBe('lib:fromproject-none');
    expect(json(dir, [], { V: 'os' }).services.lib.image).toBe('lib:os-fromincl');
  });
});

describe('file discovery (compose-go WithDefaultConfigPath)', () => {
  it('any default override file beside the main file applies; several candidates warn and the first wins', () => {
    const dir = project({
      'compose.yaml': 'services:\n  a: {image: a}\n',
      'docker-compose.yml': 'services:\n  b: {image: b}\n',
      'docker-compose.override.yml': 'services:\n  c: {image: c}\n',
      'sub/x': '',
    });
    const r = run(join(dir, 'sub'), ['config', '--services']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('a\nc\n');
    expect(r.stderr).toMatch(/^WARN.*Found multiple config files with supported names: .*compose\.yaml, .*docker-compose\.yml; using .*compose\.yaml$/m);
  });
});

describe('restart vs deploy.restart_policy', () => {
  it('deploy.restart_policy wins and the ignored restart: is named in a warning', () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: a\n    restart: always\n    deploy: {restart_policy: {condition: on-failure, max_attempts: 2}}\n' });
    const r = run(dir, ['config', '--format', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).services.web.deploy.restart_policy).toEqual({ condition: 'on-failure', max_attempts: 2 });
    expect(r.stderr).toMatch(/compose\.yaml:4:\d+: services\.web\.restart: ignored: deploy\.restart_policy/);
  });
});

describe('healthcheck in config output', () => {
  it('prints the timings the file wrote, not the defaults the model fills in', () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: a\n    healthcheck:\n      test: curl -f http://localhost\n      interval: 1m30s\n  db:\n    image: b\n    healthcheck: {}\n' });
    const model = json(dir, []);
    expect(model.services.web.healthcheck).toEqual({ test: ['CMD-SHELL', 'curl -f http://localhost'], interval: '1m30s' });
    expect(model.services.db.healthcheck).toEqual({ interval: '30s' });
  });
});

describe('project name (compose-go)', () => {
  it('a top-level name: is normalized like a folder name; -p and COMPOSE_PROJECT_NAME must already be valid', () => {
    const dir = project({ 'compose.yaml': 'name: My.Project Name\nservices:\n  web: {image: "${COMPOSE_PROJECT_NAME}"}\n', 'Odd.Dir_X/compose.yaml': 'services:\n  web: {image: a}\n' });
    const model = json(dir, []);
    expect(model.name).toBe('myprojectname');
    expect(model.services.web.image).toBe('myprojectname');
    expect(json(join(dir, 'Odd.Dir_X'), []).name).toBe('odddir_x');
    for (const [args, env] of [[['-p', 'Bad.Name'], {}], [[], { COMPOSE_PROJECT_NAME: 'Bad Name' }]] as const) {
      const r = run(dir, [...args, 'config'], env);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('invalid project name');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('x- extension fields', () => {
  it('are kept on networks and volumes too, as on services and the top level', () => {
    const dir = project({ 'compose.yaml': 'x-top: &t {a: 1}\nservices:\n  web: {image: a, x-svc: *t, volumes: ["v:/v"]}\nnetworks:\n  default: {x-net: 1}\nvolumes:\n  v: {x-vol: [1, 2]}\n' });
    const model = json(dir, []);
    expect(model['x-top']).toEqual({ a: 1 });
    expect(model.services.web['x-svc']).toEqual({ a: 1 });
    expect(model.networks.default['x-net']).toBe(1);
    expect(model.volumes.v['x-vol']).toEqual([1, 2]);
  });
});

describe('COMPOSE_FILE paths (compose-go absolutePaths)', () => {
  it('are relative to the working directory even with --project-directory; the separator is COMPOSE_PATH_SEPARATOR', () => {
    const dir = project({ 'files/a.yaml': 'services:\n  web: {image: a}\n', 'files/b.yaml': 'services:\n  web: {image: b}\n', 'proj/x': '' });
    const env = { COMPOSE_FILE: 'files/a.yaml,files/b.yaml', COMPOSE_PATH_SEPARATOR: ',' };
    const model = json(dir, ['--project-directory', 'proj'], env);
    expect(model.name).toBe('proj');
    expect(model.services.web.image).toBe('b');
    expect(json(dir, [], { COMPOSE_FILE: 'files/a.yaml:files/b.yaml' }).services.web.image).toBe('b');
  });
});
