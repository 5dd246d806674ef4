/**
 * Scale-down through the CLI: the removed replicas leave `ps` and the service's DNS answer before the verb
 * returns; their netns goes right after (in the background, journaled until done); a scale up or a `down`
 * straight after works and leaves nothing behind: no container, mount, cgroup, netns, link, nft table,
 * process or state is listed once `down` returned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { StackEnv, leaksOf } from '../helpers/stack.js';

const env = new StackEnv('scdn');
const yaml = `services:
  worker:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
  probe:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
`;
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('scdn', yaml);
});
afterAll(async () => {
  await env.cleanup();
});

const workers = async (): Promise<{ ID: string; Name: string; State: string }[]> => (await env.psJson(p)).filter((r) => r.Service === 'worker');

/** The addresses `probe` gets for `worker` from the project's DNS. */
const resolveWorker = async (): Promise<string[]> => {
  const r = await env.ok(p, ['exec', '-T', 'probe', 'nslookup', 'worker']);
  // busybox prints one "Name:/Address:" pair per answer, after the server's own "Address:" line
  const answers = r.stdout.slice(Math.max(0, r.stdout.search(/Name:\s/)));
  return [...answers.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1] ?? '');
};

const pendingIds = (): string[] => {
  const f = join(env.root, 'projects', p.name, 'state.json');
  if (!existsSync(f)) return [];
  return ((JSON.parse(readFileSync(f, 'utf8')) as { pending?: string[] }).pending ?? []);
};

/** The project's bridges and their veths (host side), and its nft table, from the network state and the kernel. */
function networkObjects(project: string): { links: string[]; table: string } {
  const st = JSON.parse(readFileSync(join(env.root, 'network', `${project}.json`), 'utf8')) as { table: string; networks: Record<string, { bridge: string }> };
  const bridges = Object.values(st.networks).map((n) => n.bridge);
  const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string; master?: string }[];
  return { links: [...bridges, ...links.filter((l) => l.master !== undefined && bridges.includes(l.master)).map((l) => l.ifname)], table: st.table };
}

const hostLinks = (): string[] => (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);
const nftTables = (): string[] => execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(' ').pop() ?? '');

describe('scale down', () => {
  it('removes replicas from ps and from the service DNS answer before it returns; their netns follows', async () => {
    await env.ok(p, ['up', '-d', '--scale', 'worker=4']);
    const before = await workers();
    expect(before.filter((w) => w.State === 'running')).toHaveLength(4);
    expect(await eventually(async () => ((await resolveWorker()).length === 4 ? true : undefined), { what: '4 worker addresses', timeoutMs: 30_000 })).toBe(true);

    await env.ok(p, ['scale', 'worker=1']);
    const after = await workers();
    expect(after.map((w) => w.Name)).toEqual([`${p.name}-worker-1`]);
    expect(await resolveWorker()).toHaveLength(1);

    const removed = before.filter((w) => !after.some((a) => a.ID === w.ID)).map((w) => w.ID);
    expect(removed).toHaveLength(3);
    await eventually(
      () => (removed.every((id) => !existsSync(`/run/netns/tsc-${id}`)) && !pendingIds().some((id) => removed.includes(id)) ? true : undefined),
      { what: 'netns of the removed replicas gone', timeoutMs: 30_000 },
    );
  });

  it('a scale up and a down straight after a scale down work and leave nothing behind', async () => {
    await env.ok(p, ['scale', 'worker=3']);
    await env.ok(p, ['scale', 'worker=1']);
    await env.ok(p, ['scale', 'worker=3']);
    expect((await workers()).filter((w) => w.State === 'running').map((w) => w.Name).sort()).toEqual([1, 2, 3].map((n) => `${p.name}-worker-${n}`));
    expect(await eventually(async () => ((await resolveWorker()).length === 3 ? true : undefined), { what: '3 worker addresses', timeoutMs: 30_000 })).toBe(true);
    await env.ok(p, ['scale', 'worker=1']);
    const net = networkObjects(p.name);
    expect(net.links.length).toBeGreaterThan(1); // the bridge and the veths of worker-1 and probe
    expect(net.table).toBeTruthy();
    await env.ok(p, ['down', '-t', '2']);
    // listed as soon as down returned (the supervisor answers once everything, itself and its helpers
    // included, is gone), not eventually
    const host = hostLinks();
    const left = [
      ...leaksOf(env, p.name),
      ...net.links.filter((l) => host.includes(l)).map((l) => `link ${l}`),
      ...(nftTables().includes(net.table) ? [`nft table ${net.table}`] : []),
    ];
    expect(left).toEqual([]);
  });
});
