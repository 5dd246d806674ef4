/**
 * Rolling update through the real CLI: a 3-replica busybox httpd behind the LB on a published 127.0.0.1
 * port with deploy.update_config {order: start-first, parallelism: 1}; an environment change and `up -d`
 * under a loop of sequential GETs loses no request, and afterwards every replica runs the new config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { freePort, getBody } from '../helpers/http.js';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('roll');
let port = 0;
let p: { name: string; dir: string };

const get = (): Promise<string> => getBody(port);

const compose = (version: string): string => `services:
  web:
    image: busybox:latest
    environment: { VERSION: "${version}" }
    deploy:
      replicas: 3
      update_config: { order: start-first, parallelism: 1 }
    ports: ["127.0.0.1:${port}:80"]
    command: ["sh", "-c", "trap 'exit 0' TERM; echo \\"$$VERSION $$(hostname)\\" > /var/www/index.html; httpd -f -p 80 -h /var/www & wait"]
`;

beforeAll(async () => {
  await env.importBusybox();
  port = await freePort();
  p = env.project('roll', compose('v1'));
  await env.ok(p, ['up', '-d']);
});

afterAll(async () => {
  await env.cleanup();
});

describe('rolling update (start-first)', () => {
  it('a config change to a 3-replica service under load loses no request', async () => {
    await eventually(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) seen.add(await get());
      return seen.size === 3 && [...seen].every((b) => b.startsWith('v1 ')) ? true : undefined;
    }, { what: 'three v1 replicas answering', timeoutMs: 60_000 });

    let rolling = true;
    let ok = 0;
    const failures: string[] = [];
    const loop = (async () => {
      const deadline = Date.now() + 300_000;
      // sequential GETs for as long as the rollout runs (bounded by count and time), then a few more
      for (let i = 0; i < 200_000 && Date.now() < deadline; i++) {
        if (!rolling && i % 50 === 0) break;
        try {
          await get();
          ok++;
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
        }
      }
    })();
    env.writeCompose(p.dir, compose('v2'));
    let up: Awaited<ReturnType<typeof env.run>> | undefined;
    try {
      up = await env.run(p, ['up', '-d'], 240_000);
    } finally {
      rolling = false;
      await loop;
    }
    expect(up?.status, `${up?.stderr ?? ''}\n${env.supervisorLog(p.name)}`).toBe(0);
    expect(failures, env.supervisorLog(p.name)).toEqual([]);
    expect(ok).toBeGreaterThan(0);

    const ps = await env.psJson(p, true);
    const web = ps.filter((c) => c.Service === 'web');
    expect(web).toHaveLength(3);
    for (const c of web) expect(c.State).toBe('running');
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) seen.add(await get());
    expect(seen.size).toBe(3);
    for (const b of seen) expect(b).toMatch(/^v2 /);
  });
});
