/**
 * The `tscompose` executable itself (its shebang), not `node main.js`: Node 20 takes a `--env-file` anywhere
 * on its command line as its own option unless `--` ends Node's options, so the bin runs `node --`.
 * `tscompose --env-file FILE` must reach our CLI: variables from FILE interpolate the compose file, and a
 * missing FILE is our error, not Node's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
