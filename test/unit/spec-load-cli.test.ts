/**
 * `tscompose config` end to end through the built CLI (npm test builds dist/ first): output on stdout only,
 * warnings and errors on stderr, exit statuses, and the flags users bring from `docker compose config`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/tscompose.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), `spec-load-cli-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'compose.yaml'),
  'version: "3"\nservices:\n  web:\n    image: "nginx:${TAG:-1.27}"\n    ports: ["8080:80"]\n  db:\n    image: postgres:16\n    profiles: [data]\nvolumes:\n  v1: {}\n',
);
writeFileSync(join(dir, 'bad.yaml'), 'services:\n  web:\n    imgae: nginx\n');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout of a run that must succeed (its stderr is shown if it does not). */
function out(args: string[], env: Record<string, string> = {}): string {
  const r = run(args, env);
  expect(r.status, `tscompose ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('tscompose config', () => {
  it('prints canonical YAML on stdout and warnings only on stderr', () => {
    const r = run(['config']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^name: /);
    expect(r.stdout).toContain('image: nginx:1.27');
    expect(r.stdout).not.toContain('WARN');
    expect(r.stderr).toMatch(/^WARN\[0000\] .*compose\.yaml:1:1: version: the attribute `version` is obsolete/m);
  });

  it('-q prints nothing on stdout; --format json is JSON; -o writes a file', () => {
    expect(out(['config', '-q'])).toBe('');
    const json = JSON.parse(out(['config', '--format', 'json'])) as { services: Record<string, unknown> };
    expect(Object.keys(json.services)).toEqual(['web']);
    const file = join(dir, 'out.yaml');
    expect(out(['config', '-o', file])).toBe('');
    expect(readFileSync(file, 'utf8')).toContain('image: nginx:1.27');
  });

  it('listing flags, profiles and --no-interpolate', () => {
    expect(out(['config', '--services'])).toBe('web\n');
    expect(out(['--profile', 'data', 'config', '--services'])).toBe('db\nweb\n');
    expect(out(['config', '--services'], { COMPOSE_PROFILES: 'data' })).toBe('db\nweb\n');
    expect(out(['config', '--volumes'])).toBe('v1\n');
    expect(out(['config', '--profiles'])).toBe('data\n');
    expect(out(['config', '--images'], { TAG: '2' })).toBe('nginx:2\n');
    expect(out(['config', '--no-interpolate'])).toContain('image: nginx:${TAG:-1.27}');
    expect(out(['config', '--services', 'db'])).toBe('db\n');
  });

  it('-p and COMPOSE_PROJECT_NAME name the project; an invalid -p is a usage error', () => {
    expect(out(['-p', 'demo', 'config'])).toMatch(/^name: demo$/m);
    const fromEnv = run(['config'], { COMPOSE_PROJECT_NAME: 'fromenv' });
    expect(fromEnv.stdout, fromEnv.stderr).toMatch(/^name: fromenv$/m);
    const bad = run(['-p', 'Not Valid', 'config', '-q']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('invalid project name');
  });

  it('errors: located, with did-you-mean, no stack trace, non-zero status', () => {
    const r = run(['-f', 'bad.yaml', 'config']);
    expect(r.status).toBe(15);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${join(dir, 'bad.yaml')}:3:5: services.web: unknown key "imgae" (did you mean "image"?)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = run(['-f', 'nope.yaml', 'config']);
    expect(missing.status).toBe(14);
    expect(run(['config', '--format', 'toml']).status).toBe(2);
  });
});
