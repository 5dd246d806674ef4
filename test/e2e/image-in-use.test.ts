/**
 * `image rm` / `image prune` with a real stack: the image of a container (created by `up -d`) is not
 * removed without -f, prune -a keeps it, -f untags it while the container keeps running, and after
 * `down` prune removes the now unused, dangling image.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('imginuse');
beforeAll(async () => {
  await env.importBusybox();
}, 120_000);
afterAll(async () => {
  await env.cleanup();
}, 120_000);

describe('images in use by containers', () => {
  it('rm refuses without -f, prune keeps it, -f untags it, after down prune removes it', async () => {
    const p = env.project('inuse', ['services:', '  app:', '    image: busybox', '    command: ["sleep", "300"]', '    network_mode: none', ''].join('\n'));
    await env.ok(p, ['up', '-d']);
    const id = (await env.ok(p, ['images', '-q'])).stdout.trim();
    expect(id).toMatch(/^[a-f0-9]{12}$/);
    const rm = await env.run(p, ['image', 'rm', 'busybox']);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toMatch(/must be forced.*container .*inuse.*app-1.* is using it/);
    expect((await env.ok(p, ['image', 'prune', '-a', '-f'])).stdout).not.toMatch(/deleted/);
    expect((await env.ok(p, ['images', '-q'])).stdout.trim()).toBe(id);
    expect((await env.ok(p, ['image', 'rm', '-f', 'busybox'])).stdout).toBe('Untagged: busybox:latest\n');
    expect((await env.ok(p, ['images', '-q'])).stdout.trim()).toBe(id); // dangling, still used
    expect((await env.psJson(p)).map((c) => c.State)).toEqual(['running']);
    await env.ok(p, ['down', '-t', '1']);
    const pr = await env.ok(p, ['image', 'prune', '-f']);
    expect(pr.stdout).toMatch(new RegExp(`deleted: sha256:${id}`));
    expect((await env.ok(p, ['images', '-q'])).stdout).toBe('');
  }, 240_000);
});
