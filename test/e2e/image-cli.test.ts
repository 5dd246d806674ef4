/**
 * `tscompose pull | images | image load/import/rm/prune` through the built CLI (dist/, built by `npm test`),
 * against a real local registry filled by skopeo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '../../src/image/store.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { buildImageTar, tarDir } from '../helpers/image-tar.js';
import { removeRegistry, skopeoCopy, startRegistry, type LocalRegistry } from '../helpers/registry.js';

const bin = fileURLToPath(new URL('../../bin/tscompose.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), `tsc-img-cli-${process.pid}-`));
const root = join(work, 'root');
const project = join(work, 'proj');
let reg: LocalRegistry | undefined;

function run(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runWithStdin(undefined, ...args);
}

/** The CLI with `stdinFile` as its standard input. */
function runWithStdin(stdinFile: string | undefined, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const fd = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
    const p = spawn(process.execPath, [bin, ...args], { cwd: project, env: { ...process.env, TSCOMPOSE_ROOT: root }, stdio: [fd, 'pipe', 'pipe'] });
    if (typeof fd === 'number') closeSync(fd);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  reg = await startRegistry();
  mkdirSync(project);
  await skopeoCopy(`docker-archive:${buildImageTar([busyboxRootfs()], join(work, 'bb.tar'), { format: 'docker' }).file}`, reg.host, 'cli/busybox:1');
  writeFileSync(join(project, 'compose.yaml'), [
    'services:',
    `  web: {image: "${reg.host}/cli/busybox:1"}`,
    `  worker: {image: "${reg.host}/cli/busybox:1", pull_policy: never}`,
    `  built: {image: "${reg.host}/cli/not-pushed:1", build: {context: .}}`,
    '',
  ].join('\n'));
});

afterAll(async () => {
  await removeRegistry(reg);
  rmSync(work, { recursive: true, force: true });
});

describe('image CLI', () => {
  it('pull pulls the services\' images; images lists them as a table, json and ids', async () => {
    const p = await run('--progress', 'plain', 'pull');
    expect(p.stderr).toMatch(/Image .*cli\/busybox:1\s+Pulled/);
    // the buildable service's image is not in the registry: reported, not fatal
    expect(p.stderr).toMatch(/Image .*cli\/not-pushed:1\s+Error: .*HTTP 404/);
    expect(p.status).toBe(0);
    const nb = await run('--progress', 'plain', 'pull', '--ignore-buildable');
    expect(nb.stderr).not.toMatch(/not-pushed/);
    expect(nb.status).toBe(0);
    const one = await run('--progress', 'plain', 'pull', 'web');
    expect(one.stderr).not.toMatch(/not-pushed/);
    expect(one.status).toBe(0);
    const t = await run('images');
    expect(t.status).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(lines[1]).toMatch(new RegExp(`^${reg!.host.replace(/\./g, '\\.')}/cli/busybox\\s+1\\s+[a-f0-9]{12}\\s+(\\d+ \\w+|About an? \\w+|Less than a second) ago\\s+[\\d.]+[kMG]?B$`));
    const j = JSON.parse((await run('images', '--format', 'json')).stdout) as Array<{ Repository: string; Tag: string; ID: string; Size: number }>;
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({ Repository: `${reg!.host}/cli/busybox`, Tag: '1' });
    expect((await run('images', '-q')).stdout.trim()).toBe(j[0]!.ID.slice(7, 19));
    // with services: only their images (the buildable one was never pulled)
    expect((await run('images', '-q', 'web')).stdout.trim()).toBe(j[0]!.ID.slice(7, 19));
    expect((await run('images', '-q', 'built')).stdout).toBe('');
  });

  it('image import, load, rm and prune', async () => {
    const rootfs = tarDir(busyboxRootfs(), join(work, 'rootfs.tar'));
    const imp = await run('image', 'import', rootfs, 'local/bb:imported');
    expect(imp.status).toBe(0);
    expect(imp.stdout.trim()).toMatch(/^sha256:[a-f0-9]{64}$/);
    const saved = buildImageTar([busyboxRootfs()], join(work, 'save.tar'), { format: 'docker', ref: 'saved/app:3', config: { Cmd: ['true'] } });
    expect(await run('image', 'load', '-i', saved.file)).toMatchObject({ status: 0, stdout: 'Loaded image: saved/app:3\n' });
    expect((await run('images')).stdout).toMatch(/^local\/bb\s+imported\s/m);
    expect(await run('image', 'rm', 'saved/app:3')).toMatchObject({ status: 0, stdout: `Untagged: saved/app:3\nDeleted: ${saved.configDigest}\n` });
    const missing = await run('image', 'rm', 'saved/app:3');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no such image: saved\/app:3/);
    expect((await run('image', 'rm', '--force', 'saved/app:3')).status).toBe(0);
    await run('image', 'rm', 'local/bb:imported');
    await run('image', 'rm', `${reg!.host}/cli/busybox:1`);
    const pr = await run('image', 'prune', '-f');
    expect(pr.status).toBe(0);
    expect(pr.stdout).toMatch(/^Deleted Images:\n(deleted: sha256:[a-f0-9]{64}\n)+\n/);
    expect(pr.stdout).toMatch(/Total reclaimed space: [\d.]+[kMG]?B\n$/);
    expect(readdirSync(join(root, 'images/layers'))).toEqual([]);
    expect((await run('images', '-q')).stdout).toBe('');
  });

  it('image import - and image load read the tarball from stdin', async () => {
    const rootfs = tarDir(busyboxRootfs(), join(work, 'stdin-rootfs.tar'));
    const imp = await runWithStdin(rootfs, 'image', 'import', '-c', 'CMD ["sh", "-c", "echo hi"]', '--change', 'ENV GREETING=hello', '-', 'stdin/bb:1');
    expect(imp.status).toBe(0);
    const got = await new ImageStore({ root }).get('stdin/bb:1');
    expect(got?.config.cmd).toEqual(['sh', '-c', 'echo hi']);
    expect(got?.config.env).toContain('GREETING=hello');
    const [ins] = JSON.parse((await run('image', 'inspect', 'stdin/bb:1')).stdout) as Array<Record<string, unknown>>;
    expect(ins).toMatchObject({ Id: imp.stdout.trim(), RepoTags: ['stdin/bb:1'], Os: 'linux', Config: { Cmd: ['sh', '-c', 'echo hi'] }, RootFS: { Type: 'layers', Layers: [expect.stringMatching(/^sha256:[a-f0-9]{64}$/)] } });
    expect(await run('image', 'import', '-c', 'RUN make', rootfs, 'x/y:1')).toMatchObject({ status: 2, stderr: expect.stringMatching(/RUN is not supported/) });
    const saved = buildImageTar([busyboxRootfs()], join(work, 'stdin-save.tar'), { format: 'oci', ref: 'example.com/stdin/app:2' });
    expect(await runWithStdin(saved.file, 'image', 'load')).toMatchObject({ status: 0, stdout: 'Loaded image: example.com/stdin/app:2\n' });
    const j = JSON.parse((await run('images', '--format', 'json')).stdout) as Array<{ Repository: string; Tag: string; ID: string }>;
    expect(j.filter((r) => r.Repository === 'stdin/bb' || r.Repository === 'example.com/stdin/app').map((r) => `${r.Repository}:${r.Tag}`).sort())
      .toEqual(['example.com/stdin/app:2', 'stdin/bb:1']);
    expect(j.find((r) => r.Repository === 'stdin/bb')!.ID).toBe(imp.stdout.trim());
    await run('image', 'rm', 'stdin/bb:1', 'example.com/stdin/app:2');
  });

  it('image pull prints Digest, Status and the canonical reference (-q: only the reference)', async () => {
    const ref = `${reg!.host}/cli/busybox:1`;
    const first = await run('image', 'pull', ref);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^Digest: sha256:[a-f0-9]{64}\nStatus: Downloaded newer image for ${ref.replace(/\./g, '\\.')}\n${ref.replace(/\./g, '\\.')}\n$`));
    expect((await run('image', 'pull', ref)).stdout).toMatch(/Status: Image is up to date for /);
    expect(await run('image', 'pull', '-q', ref)).toMatchObject({ status: 0, stdout: `${ref}\n` });
    await run('image', 'rm', ref);
  });

  it('reports a bad reference and an unknown file as errors', async () => {
    const bad = await run('image', 'import', join(work, 'nope.tar'), 'Bad:Ref');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/invalid image reference "Bad:Ref"/);
    const none = await run('image', 'load', '-i', join(work, 'nope.tar'));
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/cannot open .*nope\.tar: no such file/);
  });
});
