/**
 * `tscompose cp` through the real CLI, checked against docker compose cp's documented behaviour: both
 * directions, docker cp's destination rules, --index, every replica by default, -a, -L, volumes inside the
 * container, and that symlinks and ".." inside the container never lead to the host's files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('cp');
let p: { name: string; dir: string };
let host: string;
const uniq = `${process.pid}-${randomBytes(3).toString('hex')}`;

const sh = async (script: string, index = 1): Promise<string> =>
  (await env.ok(p, ['exec', '-T', '--index', String(index), 'web', 'sh', '-c', script])).stdout;

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('cp', `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    deploy:
      replicas: 2
    volumes:
      - data:/data
volumes:
  data: {}
`);
  host = join(p.dir, 'host');
  mkdirSync(host, { recursive: true });
  await env.ok(p, ['up', '-d', '--progress', 'quiet']);
  await sh('mkdir -p /srv/tree/sub && echo one > /srv/tree/a.txt && echo two > /srv/tree/sub/b.txt && ln -s a.txt /srv/tree/link');
}, 180_000);

afterAll(async () => {
  await env.cleanup();
  rmSync(`/tmp/escaped-${uniq}`, { force: true });
}, 180_000);

describe('cp into a service', () => {
  it('copies a file to every replica, or only to --index N', async () => {
    writeFileSync(join(host, 'f.txt'), 'hello cp\n');
    await env.ok(p, ['cp', 'host/f.txt', 'web:/tmp/']);
    expect(await sh('cat /tmp/f.txt', 1)).toBe('hello cp\n');
    expect(await sh('cat /tmp/f.txt', 2)).toBe('hello cp\n');
    writeFileSync(join(host, 'g.txt'), 'only two\n');
    await env.ok(p, ['cp', '--index', '2', join(host, 'g.txt'), 'web:/tmp/g-renamed']);
    expect(await sh('cat /tmp/g-renamed', 2)).toBe('only two\n');
    expect(await sh('test -e /tmp/g-renamed && echo yes || echo no', 1)).toBe('no\n');
  }, 120_000);

  it('copies a directory (new name, into an existing one, and "dir/." contents) and keeps modes', async () => {
    mkdirSync(join(host, 'd/inner'), { recursive: true });
    writeFileSync(join(host, 'd/inner/x.sh'), 'echo x\n', { mode: 0o750 });
    await env.ok(p, ['cp', '--index', '1', 'host/d', 'web:/srv/newdir']);
    expect(await sh('cat /srv/newdir/inner/x.sh && stat -c %a /srv/newdir/inner/x.sh')).toBe('echo x\n750\n');
    await env.ok(p, ['cp', '--index', '1', 'host/d', 'web:/srv/newdir']);
    expect(await sh('cat /srv/newdir/d/inner/x.sh')).toBe('echo x\n');
    await sh('mkdir -p /srv/contents');
    await env.ok(p, ['cp', '--index', '1', 'host/d/.', 'web:/srv/contents']);
    expect(await sh('ls /srv/contents')).toBe('inner\n');
  }, 120_000);

  it('writes into the container\'s volumes (its mount namespace), not the image layer', async () => {
    writeFileSync(join(host, 'v.txt'), 'in the volume\n');
    await env.ok(p, ['cp', '--index', '1', 'host/v.txt', 'web:/data/v.txt']);
    // the named volume is shared by both replicas
    expect(await sh('cat /data/v.txt', 2)).toBe('in the volume\n');
  }, 120_000);

  it('refuses a missing destination directory and a directory onto a file', async () => {
    const r = await env.run(p, ['cp', 'host/f.txt', 'web:/nonexistent-dir/']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/must exist|no such/i);
    const r2 = await env.run(p, ['cp', 'host/d', 'web:/tmp/f.txt']);
    expect(r2.status).not.toBe(0);
  }, 120_000);
});

describe('cp out of a service', () => {
  it('copies files and directories by docker cp\'s rules', async () => {
    await env.ok(p, ['cp', 'web:/srv/tree/a.txt', 'host/a-copy.txt']);
    expect(readFileSync(join(host, 'a-copy.txt'), 'utf8')).toBe('one\n');
    await env.ok(p, ['cp', 'web:/srv/tree', 'host/tree-new']);
    expect(readFileSync(join(host, 'tree-new/sub/b.txt'), 'utf8')).toBe('two\n');
    expect(readlinkSync(join(host, 'tree-new/link'))).toBe('a.txt');
    await env.ok(p, ['cp', 'web:/srv/tree', 'host/tree-new']);
    expect(readFileSync(join(host, 'tree-new/tree/a.txt'), 'utf8')).toBe('one\n');
    mkdirSync(join(host, 'flat'));
    await env.ok(p, ['cp', 'web:/srv/tree/.', 'host/flat']);
    expect(readFileSync(join(host, 'flat/a.txt'), 'utf8')).toBe('one\n');
  }, 120_000);

  it('copies a symlink as a symlink, and its target with -L', async () => {
    await env.ok(p, ['cp', 'web:/srv/tree/link', 'host/link-plain']);
    expect(lstatSync(join(host, 'link-plain')).isSymbolicLink()).toBe(true);
    await env.ok(p, ['cp', '-L', 'web:/srv/tree/link', 'host/link-followed']);
    expect(readFileSync(join(host, 'link-followed'), 'utf8')).toBe('one\n');
    expect(lstatSync(join(host, 'link-followed')).isFile()).toBe(true);
  }, 120_000);

  it('keeps uid/gid only with -a', async () => {
    await sh('echo o > /srv/owned && chown 1234:5678 /srv/owned');
    await env.ok(p, ['cp', 'web:/srv/owned', 'host/owned-plain']);
    expect(statSync(join(host, 'owned-plain')).uid).toBe(0);
    await env.ok(p, ['cp', '-a', 'web:/srv/owned', 'host/owned-archive']);
    expect(statSync(join(host, 'owned-archive'))).toMatchObject({ uid: 1234, gid: 5678 });
  }, 120_000);

  it('says which file is missing', async () => {
    const r = await env.run(p, ['cp', 'web:/no/such/file', 'host/x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Could not find the file /no/such/file');
  }, 120_000);
});

describe('cp stays inside the container', () => {
  it('resolves symlinks and ".." in the container\'s root, never the host\'s', async () => {
    await sh('ln -s / /srv/rootlink && ln -s ../../../../../../etc /srv/uplink && ln -s /etc/hostname /srv/hn');
    const hostname = await sh('cat /etc/hostname');
    await env.ok(p, ['cp', 'web:/srv/rootlink/etc/hostname', 'host/h1']);
    await env.ok(p, ['cp', 'web:/srv/uplink/hostname', 'host/h2']);
    await env.ok(p, ['cp', 'web:../../../../etc/hostname', 'host/h3']);
    await env.ok(p, ['cp', '-L', 'web:/srv/hn', 'host/h4']);
    for (const f of ['h1', 'h2', 'h3', 'h4']) expect(readFileSync(join(host, f), 'utf8')).toBe(hostname);
    // writing through a symlink to "/" lands in the container's /tmp
    writeFileSync(join(host, 'esc.txt'), 'contained\n');
    await env.ok(p, ['cp', '--index', '1', 'host/esc.txt', `web:/srv/rootlink/tmp/escaped-${uniq}`]);
    expect(existsSync(`/tmp/escaped-${uniq}`)).toBe(false);
    expect(await sh(`cat /tmp/escaped-${uniq}`)).toBe('contained\n');
  }, 120_000);
});

describe('cp arguments', () => {
  it('needs exactly one SERVICE:PATH and a known service', async () => {
    expect((await env.run(p, ['cp', 'host/a', 'host/b'])).status).toBe(2);
    expect((await env.run(p, ['cp', 'web:/a', 'web:/b'])).status).toBe(2);
    const r = await env.run(p, ['cp', 'host/f.txt', 'nosuch:/tmp/']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no such service: nosuch');
  }, 120_000);
});
