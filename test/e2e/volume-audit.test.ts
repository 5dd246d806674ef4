/**
 * Volumes as a Compose user sees them (issue 8): a new named volume is seeded from the image's content at
 * its mount point (not with `nocopy: true`), anonymous volumes, `read_only` volumes and `:ro` binds,
 * tmpfs with size and mode, `volumes_from` (and `:ro`), `~` in a bind source, `bind.create_host_path:
 * false` refusing a missing source, and `volume rm` refusing a volume in use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StackEnv, uniq } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

let env: StackEnv;
const homeDir = join(homedir(), `.tsc-volaud-${uniq()}`);

beforeAll(async () => {
  env = new StackEnv('volaud');
  await env.importBusybox();
});

afterAll(async () => {
  await env?.cleanup();
  rmSync(homeDir, { recursive: true, force: true });
});

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

describe('volumes (audit)', () => {
  it('seeding, nocopy, anonymous, read-only, tmpfs, volumes_from, ~ binds; rm of a volume in use is refused', async () => {
    const p = env.project('va', `services:
  web:
    image: busybox:latest
    command: ${LOOP}
    volumes:
      - site:/var/www
      - type: volume
        source: bare
        target: /usr/sbin
        volume:
          nocopy: true
      - /scratch
      - type: volume
        source: site
        target: /site-ro
        read_only: true
      - ./conf:/conf:ro
      - ~/${homeDir.slice(homedir().length + 1)}:/home-bind
      - type: tmpfs
        target: /fast
        tmpfs:
          size: 2m
          mode: 0700
  reader:
    image: busybox:latest
    command: ${LOOP}
    volumes_from:
      - web:ro
  writer:
    image: busybox:latest
    command: ${LOOP}
    volumes_from:
      - web
volumes:
  site:
  bare:
`);
    mkdirSync(join(p.dir, 'conf'));
    writeFileSync(join(p.dir, 'conf', 'app.conf'), 'x=1\n');
    await env.ok(p, ['up', '-d']);
    const sh = async (svc: string, script: string): Promise<string> => (await env.run(p, ['exec', '-T', svc, 'sh', '-c', script])).stdout;

    // seeded from the image (busybox has /var/www/index.html); the nocopy volume over /usr/sbin stays empty
    expect(await sh('web', 'cat /var/www/index.html')).toBe('hello from busybox\n');
    expect(await sh('web', 'ls -A /usr/sbin | wc -l')).toBe('0\n');
    // read-only mounts refuse writes; the anonymous volume and tmpfs take them
    expect(await sh('web', 'touch /site-ro/x 2>/dev/null && echo rw || echo ro')).toBe('ro\n');
    expect(await sh('web', 'touch /conf/x 2>/dev/null && echo rw || echo ro')).toBe('ro\n');
    expect(await sh('web', 'touch /scratch/x && echo rw')).toBe('rw\n');
    expect(await sh('web', 'grep " /fast " /proc/mounts')).toMatch(/tmpfs \/fast tmpfs .*size=2048k.*mode=700/);
    // ~ expanded to the home directory of the user running tscompose; missing source created as a folder
    expect(existsSync(homeDir)).toBe(true);
    writeFileSync(join(homeDir, 'h'), 'from-home\n');
    expect(await sh('web', 'cat /home-bind/h')).toBe('from-home\n');
    // volumes_from shares web's volumes and binds; :ro makes them read-only for that container
    await sh('web', 'echo shared > /var/www/shared');
    expect(await sh('reader', 'cat /var/www/shared /conf/app.conf')).toBe('shared\nx=1\n');
    expect(await sh('reader', 'touch /var/www/y 2>/dev/null && echo rw || echo ro')).toBe('ro\n');
    expect(await sh('writer', 'touch /var/www/y && echo rw')).toBe('rw\n');

    // the anonymous volume is listed by `volume ls`; a volume in use cannot be removed
    const names = (await env.ok(p, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
    expect(names).toEqual(expect.arrayContaining([`${p.name}_site`, `${p.name}_bare`]));
    expect(names.some((n) => /^[0-9a-f]{64}$/.test(n))).toBe(true);
    const rm = await env.run(p, ['volume', 'rm', `${p.name}_site`]);
    expect(rm.status).not.toBe(0);
    expect(rm.stderr).toMatch(/in use/);
    const rows = (await env.ok(p, ['volume', 'ls', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Driver: string });
    expect(rows.find((r) => r.Name === `${p.name}_site`)?.Driver).toBe('local');

    await env.ok(p, ['down', '-v']);
    const left = (await env.ok(p, ['volume', 'ls', '-q'])).stdout;
    expect(left).not.toContain(`${p.name}_site`);
  });

  it('named volume data survives `restart` (a fresh container) and a PID 1 crash restarted by policy', async () => {
    const p = env.project('vr', `services:
  db:
    image: busybox:latest
    restart: always
    command: ["sh", "-c", "trap 'exit 0' TERM; echo boot >> /data/boots; while true; do sleep 1; done"]
    volumes: [data:/data]
volumes:
  data:
`);
    await env.ok(p, ['up', '-d']);
    const boots = async (): Promise<number> => (await env.run(p, ['exec', '-T', 'db', 'cat', '/data/boots'])).stdout.split('\n').filter(Boolean).length;
    await eventually(async () => (await boots()) === 1, { what: 'first boot' });
    await env.ok(p, ['restart', 'db']);
    await eventually(async () => (await boots()) === 2, { what: 'boot after restart appended to the kept data' });
    const pid = (await env.psJson(p))[0]?.Pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, 'SIGKILL'); // PID 1 of the container this test started
    await eventually(async () => (await boots()) === 3, { what: 'boot after the crash appended', timeoutMs: 60_000 });
  });

  it('bind.create_host_path: false refuses a missing source with a clear error', async () => {
    const p = env.project('vb', `services:
  web:
    image: busybox:latest
    command: ${LOOP}
    volumes:
      - type: bind
        source: ./not-there
        target: /x
        bind:
          create_host_path: false
`);
    const r = await env.run(p, ['up', '-d']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('bind source path does not exist');
    expect(r.stderr).toContain(join(p.dir, 'not-there'));
    expect(existsSync(join(p.dir, 'not-there'))).toBe(false);
  });
});
