/**
 * Terminals and seccomp through the CLI, as a Docker Compose user meets them: `run --rm -it` and `exec -it`
 * from a terminal are interactive (window size, exit status), `tty: true` gives PID 1 a terminal, and service
 * containers get Docker's default seccomp profile unless `security_opt: [seccomp=unconfined]`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { runInPty } from '../helpers/pty-run.js';
import { StackEnv } from '../helpers/stack.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tscompose.js');

const YAML = `services:
  web:
    image: busybox:latest
    network_mode: none
    tty: true
    command: ["sh", "-c", "test -t 0 && echo pid1-has-tty; grep Seccomp: /proc/self/status; exec sleep 600"]
  loose:
    image: busybox:latest
    network_mode: none
    security_opt: [seccomp=unconfined]
    command: ["sh", "-c", "grep Seccomp: /proc/self/status; exec sleep 600"]
`;

let env: StackEnv;
let p: { name: string; dir: string };

beforeAll(async () => {
  env = new StackEnv('rttty');
  await env.importBusybox();
  p = env.project('rttty', YAML);
});

afterAll(async () => {
  await env.run(p, ['down', '-t', '1']).catch(() => undefined);
  await env.cleanup();
});

function cli(args: string[], steps: Parameters<typeof runInPty>[1]): ReturnType<typeof runInPty> {
  return runInPty([process.execPath, BIN, '-p', p.name, ...args], steps, { env: env.env, cwd: p.dir, timeoutMs: 120_000 });
}

describe('terminals and seccomp through tscompose', () => {
  it('run --rm -it: an interactive shell on a terminal, with its size and exit status', async () => {
    const r = await cli(['run', '--rm', '-it', 'web', 'sh'], [
      { waitFor: '# ', send: 'test -t 0 && echo in-a-tty; stty size\r' },
      { waitFor: 'in-a-tty', send: 'exit 5\r' },
    ]);
    expect(r.pending, r.out).toBe(0);
    expect(r.out).toContain('33 101');
    expect(r.code, r.out).toBe(5);
  });

  it('tty: true gives PID 1 a terminal; services run under the default seccomp profile unless unconfined', async () => {
    await env.ok(p, ['up', '-d']);
    let last = '';
    await eventually(async () => {
      const logs = (await env.run(p, ['logs', '--no-color', 'web', 'loose'])).stdout;
      last = logs;
      expect(logs).toMatch(/web-1\s*\|\s*pid1-has-tty/);
      expect(logs).toMatch(/web-1\s*\|\s*Seccomp:\s+2/);
      expect(logs).toMatch(/loose-1\s*\|\s*Seccomp:\s+0/);
      return true;
    }, { timeoutMs: 60_000 }).catch((e: unknown) => {
      throw new Error(`${String(e)}\nlogs:\n${last}`);
    });
  });

  it('exec -it: an interactive shell in the running service container', async () => {
    const r = await cli(['exec', '-it', 'web', 'sh'], [
      { waitFor: '# ', send: 'tty; stty size\r' },
      { waitFor: '101', send: 'exit 4\r' },
    ]);
    expect(r.pending, r.out).toBe(0);
    expect(r.out).toMatch(/\/dev\/pts\/\d+/);
    expect(r.out).toContain('33 101');
    expect(r.code, r.out).toBe(4);
  });
});
