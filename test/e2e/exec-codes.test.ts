/**
 * `exec` exit statuses as `docker exec`: a process that cannot be set up (no such working directory, no
 * such user) exits 126 with the reason; a command not found 127; a file that is not executable 126; and
 * the command's own status otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('xcodes');
let p: { name: string; dir: string };

beforeAll(async () => {
  await env.importBusybox();
  p = env.project('xc', `services:
  web:
    image: busybox:latest
    network_mode: none
    command: ["sleep", "3600"]
`);
  await env.ok(p, ['up', '-d']);
  await eventually(async () => (await env.psJson(p)).some((r) => r.Service === 'web' && r.State === 'running'), { what: 'web running', timeoutMs: 60_000 });
}, 180_000);

afterAll(async () => {
  await env.cleanup();
}, 120_000);

describe('exec exit statuses', () => {
  it('a working directory that does not exist: 126, with the reason', async () => {
    const r = await env.run(p, ['exec', '-T', '-w', '/does/not/exist', 'web', 'true']);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/\/does\/not\/exist/);
    expect(r.stderr).toMatch(/no such file or directory/i);
  });

  it('a user that does not exist: 126, "unable to find user"', async () => {
    const r = await env.run(p, ['exec', '-T', '-u', 'nosuchuser', 'web', 'true']);
    expect(r.status).toBe(126);
    expect(r.stderr).toContain('unable to find user nosuchuser');
  });

  it('a command that is not found: 127; one that is not executable: 126', async () => {
    const nf = await env.run(p, ['exec', '-T', 'web', 'no-such-command-here']);
    expect(nf.status).toBe(127);
    expect(nf.stderr).toMatch(/not found/);
    const nx = await env.run(p, ['exec', '-T', 'web', '/etc/passwd']);
    expect(nx.status).toBe(126);
    expect(nx.stderr).toMatch(/permission denied/i);
  });

  it("the command's own status, and an existing directory and user work", async () => {
    expect((await env.run(p, ['exec', '-T', 'web', 'sh', '-c', 'exit 3'])).status).toBe(3);
    const r = await env.run(p, ['exec', '-T', '-w', '/tmp', '-u', 'nobody', 'web', 'sh', '-c', 'pwd; id -un']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('/tmp\nnobody\n');
  });
});
