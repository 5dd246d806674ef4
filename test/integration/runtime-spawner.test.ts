/** The shared shell that runs the helper tools: status, stdout, stderr, stdin and quoting, many at once. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnViaShell } from '../../src/runtime/spawner.js';
import { eventually } from '../helpers/eventually.js';
import { REPO } from '../helpers/stack.js';

describe('spawner', () => {
  it('reports status, output and input of each command, with arguments passed verbatim', async () => {
    const r = await spawnViaShell('/bin/sh', ['-c', 'cat; echo "$1" >&2; exit 3', 'sh', `it's a "test" $HOME \\ ;`], 'from stdin\n');
    expect(r).toEqual({ code: 3, stdout: 'from stdin\n', stderr: `it's a "test" $HOME \\ ;\n` });
    const missing = await spawnViaShell('/nonexistent/tool', []);
    expect(missing.code).toBe(127);
  });

  it('runs many commands concurrently, each with its own result', async () => {
    const n = 30;
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => spawnViaShell('/bin/sh', ['-c', `sleep 0.0$((${i} % 5)); echo ${i}; exit $((${i} % 7))`])));
    rs.forEach((r, i) => {
      expect(r.stdout).toBe(`${i}\n`);
      expect(r.code).toBe(i % 7);
    });
  });

  it('leaves no work dir behind when its Node process is SIGKILLed', async () => {
    const script = `import { spawnViaShell } from ${JSON.stringify(join(REPO, 'dist/runtime/spawner.js'))};
await spawnViaShell('/bin/true', []);
console.log('ready');
setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (c) => reject(new Error(`child exited ${c}`)));
    });
    const dir = join(tmpdir(), `tsc-spawn-${child.pid}`);
    expect(existsSync(dir)).toBe(true);
    child.kill('SIGKILL');
    await eventually(() => (existsSync(dir) ? undefined : true), { what: `${dir} removed`, timeoutMs: 30_000 });
  });
});
