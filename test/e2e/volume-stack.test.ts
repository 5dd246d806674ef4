/**
 * Volumes through the CLI: a named volume's data outlives `down` and comes back with `up`, a bind mount
 * shows host edits, `down -v` removes the project's volumes (never an external one), and a missing
 * external volume fails `up` with a clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackEnv } from '../helpers/stack.js';
import { eventually } from '../helpers/eventually.js';

let env: StackEnv;

beforeAll(async () => {
  env = new StackEnv('volstk');
  await env.importBusybox();
});

afterAll(async () => {
  await env?.cleanup();
});

const volumeNames = async (p: { name: string; dir: string }): Promise<string[]> => (await env.ok(p, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);

describe('volumes in a stack', () => {
  it('named volume data survives down + up, bind edits are seen, down -v removes project volumes only', async () => {
    const extName = `keep${process.pid}x${Math.floor(Math.random() * 1e5)}`;
    const p = env.project('vol', `services:
  db:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo boot >> /data/boots; while true; do sleep 1; done"]
    volumes:
      - data:/data
      - ./conf:/conf
      - ext:/ext
      - /anon
volumes:
  data:
  ext:
    external: true
    name: ${extName}
`);
    const missing = await env.run(p, ['up', '-d']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain(`external volume "${extName}" not found`);

    await env.ok(p, ['volume', 'create', extName]);
    await env.ok(p, ['up', '-d']);
    expect(existsSync(join(p.dir, 'conf'))).toBe(true); // short-syntax bind: missing host dir created
    const dataPath = join(env.root, 'volumes', `${p.name}_data`, '_data');
    await eventually(() => readFileSync(join(dataPath, 'boots'), 'utf8') === 'boot\n', { what: 'first boot recorded in the volume' });
    writeFileSync(join(p.dir, 'conf', 'app.conf'), 'edited on host\n');
    const seen = await env.ok(p, ['exec', '-T', 'db', 'cat', '/conf/app.conf']);
    expect(seen.stdout).toBe('edited on host\n');
    expect(await volumeNames(p)).toEqual(expect.arrayContaining([`${p.name}_data`, extName]));
    const inspect = JSON.parse((await env.ok(p, ['volume', 'inspect', `${p.name}_data`])).stdout) as Array<{ Labels: Record<string, string>; Mountpoint: string }>;
    expect(inspect[0]?.Labels).toMatchObject({ 'com.docker.compose.project': p.name, 'com.docker.compose.volume': 'data' });
    expect(inspect[0]?.Mountpoint).toBe(dataPath);

    await env.ok(p, ['down']);
    expect(existsSync(dataPath)).toBe(true);
    await env.ok(p, ['up', '-d']);
    await eventually(() => readFileSync(join(dataPath, 'boots'), 'utf8') === 'boot\nboot\n', { what: 'second boot appended to the kept volume' });

    await env.ok(p, ['down', '--volumes']);
    const left = await volumeNames(p);
    expect(left).not.toContain(`${p.name}_data`);
    expect(left).toContain(extName);
    expect(left.filter((n) => /^[0-9a-f]{64}$/.test(n))).toEqual([]); // the anonymous volume went too
  });
});
