/**
 * `tscompose cp` through the real CLI, checked against docker compose cp's documented behaviour: both
 * directions, docker cp's destination rules, --index, every replica by default, -a, -L, volumes inside the
 * container, and that symlinks and ".." inside the container never lead to the host's files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { REPO, StackEnv, type CliResult } from '../helpers/stack.js';
import { tarBuffer } from '../helpers/tar-writer.js';
import { eventually } from '../helpers/eventually.js';
import { TarReader } from '../../src/image/tar-reader.js';
import { ByteSource } from '../../src/image/byte-source.js';

const env = new StackEnv('cp');
let p: { name: string; dir: string };
let host: string;
const uniq = `${process.pid}-${randomBytes(3).toString('hex')}`;

const sh = async (script: string, index = 1): Promise<string> =>
  (await env.ok(p, ['exec', '-T', '--index', String(index), 'web', 'sh', '-c', script])).stdout;

/** The CLI with bytes on stdin and stdout kept as bytes. */
function runBytes(args: string[], input?: Buffer): Promise<CliResult & { out: Buffer }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/tscompose.js'), '-p', p.name, ...args], { cwd: p.dir, env: env.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input ?? Buffer.alloc(0));
    child.on('close', (code) => {
      const b = Buffer.concat(out);
      res({ status: code ?? 1, stdout: b.toString(), stderr, out: b });
    });
  });
}

async function tarNames(b: Buffer): Promise<string[]> {
  const r = new TarReader(new ByteSource((async function* () {
    yield b;
  })()));
  const names: string[] = [];
  for (let e = await r.next(); e; e = await r.next()) names.push(`${e.name}${e.type === 'symlink' ? ` -> ${e.linkname}` : ''}`);
  return names;
}

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
  for (const f of ['escaped', 'tar-escaped', 'dotdot']) rmSync(`/tmp/${f}-${uniq}`, { force: true });
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

describe('cp with "-" (tar streams)', () => {
  it('writes SRC as a tar archive to stdout, under its own name', async () => {
    const long = `n${'x'.repeat(120)}`;
    await sh(`echo deep > /srv/tree/sub/${long}`);
    const r = await runBytes(['cp', 'web:/srv/tree', '-']);
    expect(r.status).toBe(0);
    const names = await tarNames(r.out);
    expect(names).toEqual(expect.arrayContaining(['tree/', 'tree/a.txt', 'tree/link -> a.txt', 'tree/sub/', 'tree/sub/b.txt', `tree/sub/${long}`]));
  }, 120_000);

  it('copies the container\'s / without the contents of kernel filesystems (/proc, /sys)', async () => {
    const r = await runBytes(['cp', 'web:/', '-']);
    expect(r.status).toBe(0);
    const names = await tarNames(r.out);
    expect(names).toEqual(expect.arrayContaining(['./', './proc/', './sys/', './etc/hostname', './bin/busybox']));
    expect(names.filter((n) => n.startsWith('./proc/') || n.startsWith('./sys/'))).toEqual(['./proc/', './sys/']);
    await env.ok(p, ['cp', 'web:/proc', 'host/proc-copy']);
    expect(readdirSync(join(host, 'proc-copy'))).toEqual([]);
  }, 120_000);

  it('extracts a tar archive from stdin into a directory of the container', async () => {
    const tar = tarBuffer([
      { name: 'in/', type: 'dir' },
      { name: 'in/hello.txt', data: 'from stdin\n', mode: 0o640 },
      { name: 'in/l', type: 'symlink', linkname: 'hello.txt' },
    ]);
    const r = await runBytes(['cp', '--index', '1', '-', 'web:/srv'], tar);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await sh('cat /srv/in/hello.txt; stat -c %a /srv/in/hello.txt; readlink /srv/in/l')).toBe('from stdin\n640\nhello.txt\n');
  }, 120_000);

  it('refuses entries with ".." or through a symlink the container planted', async () => {
    await sh('mkdir -p /srv/x && ln -sfn / /srv/x/root');
    const dotdot = await runBytes(['cp', '--index', '1', '-', 'web:/srv/x'], tarBuffer([{ name: '../../../tmp/dotdot-' + uniq, data: 'no' }]));
    expect(dotdot.status).not.toBe(0);
    expect(dotdot.stderr).toContain('..');
    const via = await runBytes(['cp', '--index', '1', '-', 'web:/srv/x'], tarBuffer([{ name: `root/tmp/tar-escaped-${uniq}`, data: 'no' }]));
    expect(via.status).not.toBe(0);
    expect(existsSync(`/tmp/tar-escaped-${uniq}`)).toBe(false);
    expect(existsSync(`/tmp/dotdot-${uniq}`)).toBe(false);
    expect(await sh(`test -e /tmp/tar-escaped-${uniq} && echo yes || echo no`)).toBe('no\n');
  }, 120_000);
});

describe('cp targets', () => {
  it('a tar from stdin goes to every replica; --all adds the one-off run containers', async () => {
    const tar = tarBuffer([{ name: 'both.txt', data: 'both\n' }]);
    expect((await runBytes(['cp', '-', 'web:/tmp'], tar)).status).toBe(0);
    expect(await sh('cat /tmp/both.txt', 1)).toBe('both\n');
    expect(await sh('cat /tmp/both.txt', 2)).toBe('both\n');
    // the one-off shares the named volume /data with the replicas: it reports there what cp gave it
    const run = await env.ok(p, ['run', '-d', 'web', 'sh', '-c', "trap 'exit 0' TERM; while [ ! -f /tmp/all.txt ]; do sleep 0.2; done; cp /tmp/all.txt /data/oneoff-saw.txt; while true; do sleep 1; done"]);
    expect(run.stdout).toContain('-run-');
    writeFileSync(join(host, 'all.txt'), 'everywhere\n');
    await env.ok(p, ['cp', '--all', 'host/all.txt', 'web:/tmp/all.txt']);
    expect(await sh('cat /tmp/all.txt', 2)).toBe('everywhere\n');
    await eventually(async () => expect(await sh('cat /data/oneoff-saw.txt 2>/dev/null || true')).toBe('everywhere\n'), { timeoutMs: 60_000 });
  }, 120_000);

  it('reads a stopped container from its layers (as docker cp); writing into one needs it running', async () => {
    await sh('mkdir -p /srv && echo before-stop > /srv/stopped.txt && rm /etc/passwd', 1);
    await env.ok(p, ['stop', '-t', '1', 'web']);
    try {
      await env.ok(p, ['cp', 'web:/srv/stopped.txt', 'host/from-stopped.txt']);
      expect(readFileSync(join(host, 'from-stopped.txt'), 'utf8')).toBe('before-stop\n');
      await env.ok(p, ['cp', 'web:/bin', 'host/stopped-bin']);
      expect(existsSync(join(host, 'stopped-bin/busybox'))).toBe(true);
      await env.ok(p, ['cp', 'web:/etc', 'host/stopped-etc']);
      expect(existsSync(join(host, 'stopped-etc'))).toBe(true);
      expect(existsSync(join(host, 'stopped-etc/passwd'))).toBe(false); // the whiteout hides the image's file
      const missing = await env.run(p, ['cp', 'web:/srv/nope', 'host/x']);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('Could not find the file /srv/nope');
      const r = await env.run(p, ['cp', 'host/f.txt', 'web:/tmp/']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/not running/);
    } finally {
      await env.ok(p, ['start', 'web']);
    }
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
