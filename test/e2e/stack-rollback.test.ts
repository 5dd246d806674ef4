/**
 * deploy.update_config failure_action: rollback through the real CLI. A 3-replica busybox httpd service is
 * updated to a configuration whose PID 1 exits at once: the rollout stops at the first failed replica, `up`
 * fails naming it and the rollback, and afterwards every replica runs the previous configuration again and
 * the published port still answers with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { freePort, getBody } from '../helpers/http.js';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('rb');
let port = 0;
let p: { name: string; dir: string };

const get = (): Promise<string> => getBody(port);

const compose = (version: string, broken: boolean): string => `services:
  web:
    image: busybox:latest
    environment: { VERSION: "${version}" }
    deploy:
      replicas: 3
      update_config: { order: start-first, parallelism: 1, failure_action: rollback, monitor: 30s }
    ports: ["127.0.0.1:${port}:80"]
    command: ${broken ? `["sh", "-c", "echo cannot start >&2; exit 3"]` : `["sh", "-c", "trap 'exit 0' TERM; echo \\"$$VERSION $$(hostname)\\" > /var/www/index.html; httpd -f -p 80 -h /var/www & wait"]`}
`;

beforeAll(async () => {
  await env.importBusybox();
  port = await freePort();
  p = env.project('rb', compose('v1', false));
  await env.ok(p, ['up', '-d']);
});

afterAll(async () => {
  await env.cleanup();
});

describe('rolling update with failure_action: rollback', () => {
  it('a configuration that cannot start is rolled back, and the old one serves again', async () => {
    await eventually(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) seen.add(await get());
      return seen.size === 3 ? true : undefined;
    }, { what: 'three v1 replicas answering', timeoutMs: 60_000 });

    env.writeCompose(p.dir, compose('v2', true));
    const up = await env.run(p, ['up', '-d'], 240_000);
    expect(up.status, up.stderr).not.toBe(0);
    expect(up.stderr).toMatch(/rolling update of web failed/);
    expect(up.stderr).toMatch(/rolling back to the previous configuration/);

    const web = await eventually(async () => {
      const ps = (await env.psJson(p, true)).filter((c) => c.Service === 'web');
      return ps.length === 3 && ps.every((c) => c.State === 'running') ? ps : undefined;
    }, { what: 'three running web replicas after the rollback', timeoutMs: 60_000 });
    expect(web.map((c) => c.Name).sort()).toEqual([`${p.name}-web-1`, `${p.name}-web-2`, `${p.name}-web-3`]);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) seen.add(await get());
    expect(seen.size).toBe(3);
    for (const b of seen) expect(b).toMatch(/^v1 /);
  });
});
