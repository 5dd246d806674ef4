/**
 * The `tscompose` executable itself (its shebang), not `node main.js`: Node 20 takes a `--env-file` anywhere
 * on its command line as its own option unless `--` ends Node's options, so the bin runs `node --`.
 * `tscompose --env-file FILE` must reach our CLI: variables from FILE interpolate the compose file, and a
 * missing FILE is our error, not Node's.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'tsc-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(REPO, 'bin/tscompose.js');

describe('the tscompose executable', () => {
  it('passes --env-file to the CLI, not to Node', () => {
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  app:\n    image: "busybox:${TAG:-none}"\n');
    writeFileSync(join(dir, 'my.env'), 'TAG=from-env-file\n');
    const ok = spawnSync(bin, ['--env-file', 'my.env', 'config', '--images'], { cwd: dir, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('busybox:from-env-file');
    const missing = spawnSync(bin, ['--env-file', 'nope.env', 'config', '-q'], { cwd: dir, encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).not.toMatch(/^node:/m);
    expect(missing.stderr).toContain('nope.env');
  });

  it('bin/tscompose (package.json "bin", linked by npm) runs the CLI without Node loading NODE_EXTRA_CA_CERTS', () => {
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  app:\n    image: "busybox:${TAG:-none}"\n');
    writeFileSync(join(dir, 'my.env'), 'TAG=from-env-file\n');
    const link = join(dir, 'linked-tscompose'); // as node_modules/.bin/tscompose
    symlinkSync(join(REPO, 'bin/tscompose'), link);
    // Node warns at start-up about an unreadable NODE_EXTRA_CA_CERTS: the warning shows whether it was read
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'no-such-ca.pem') };
    const viaNode = spawnSync(bin, ['--env-file', 'my.env', 'config', '--images'], { cwd: dir, env, encoding: 'utf8' });
    expect(viaNode.stderr).toContain('Ignoring extra certs');
    const r = spawnSync(link, ['--env-file', 'my.env', 'config', '--images'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('busybox:from-env-file');
    expect(r.stderr).not.toContain('Ignoring extra certs');
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.tscompose).toBe('bin/tscompose');
    // the same file is JavaScript too: `node <package.json bin>` runs the CLI
    const asJs = spawnSync(process.execPath, [join(REPO, String(pkg.bin.tscompose)), 'config', '--images'], { cwd: dir, env: { ...env, TAG: 'as-js' }, encoding: 'utf8' });
    expect(asJs.status, asJs.stderr).toBe(0);
    expect(asJs.stdout.trim()).toBe('busybox:as-js');
  });

  it('every verb answers --help (and exec -h) with its usage and exit 0', () => {
    const top = spawnSync(process.execPath, [bin, '--help'], { cwd: dir, encoding: 'utf8' });
    expect(top.status, top.stderr).toBe(0);
    const verbs = top.stdout.split('Commands:')[1]!.split('\n').map((l) => /^  ([a-z]+)/.exec(l)?.[1]).filter((v): v is string => !!v && v !== 'help');
    expect(verbs).toEqual(expect.arrayContaining(['up', 'down', 'ps', 'logs', 'scale', 'exec', 'kill', 'top', 'events']));
    for (const args of [...verbs.map((v) => [v, '--help']), ['exec', '-h'], ['exec', '-T', '--help']]) {
      const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toContain(`Usage: tscompose ${args[0]}`);
    }
  }, 120_000);

  it('runs the verb\'s CommonJS bundle and keeps its code cache in the state root, private', () => {
    const root = join(dir, 'root');
    mkdirSync(root);
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  app:\n    image: "busybox:1"\n');
    const env = { ...process.env, TSCOMPOSE_ROOT: root };
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(process.execPath, [bin, 'config', '--images'], { cwd: dir, env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('busybox:1\n');
    }
    const cache = join(root, 'cache', 'cli');
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const files = readdirSync(cache).filter((f) => f.startsWith('config.cjs-'));
    expect(files).toHaveLength(1);
    expect(statSync(join(cache, files[0]!)).mode & 0o777).toBe(0o600);
  });

  it('runs the ESM CLI when dist/cjs is not of the dist/cli/main.js there (tsc rebuilt it)', () => {
    const copy = join(dir, 'copy');
    mkdirSync(copy);
    const proj = join(dir, 'proj');
    mkdirSync(proj);
    writeFileSync(join(proj, 'compose.yaml'), 'services:\n  app:\n    image: "busybox:2"\n');
    cpSync(join(REPO, 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(REPO, 'dist'), join(copy, 'dist'), { recursive: true });
    for (const f of ['package.json', 'node_modules', 'schemas', 'native']) symlinkSync(join(REPO, f), join(copy, f));
    const manifest = join(copy, 'dist/cjs/manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { main: { mtimeMs: number } };
    writeFileSync(manifest, JSON.stringify({ ...m, main: { ...m.main, mtimeMs: m.main.mtimeMs - 1 } }));
    // a broken CommonJS bundle shows that it is not what runs
    writeFileSync(join(copy, 'dist/cjs/config.cjs'), 'throw new Error("stale bundle ran");\n');
    const r = spawnSync(process.execPath, [join(copy, 'bin/tscompose.js'), 'config', '--images'], { cwd: proj, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('busybox:2\n');
    const v = spawnSync(process.execPath, [join(copy, 'bin/tscompose.js'), '--version'], { encoding: 'utf8' });
    expect(v.stdout).toMatch(/^tscompose version v\d/);
  });
});
