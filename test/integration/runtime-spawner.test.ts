/** The shared shell that runs the helper tools: status, stdout, stderr, stdin and quoting, many at once. */
import { describe, expect, it } from 'vitest';
import { spawnViaShell } from '../../src/runtime/spawner.js';

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
});
