/**
 * OCI runtime-spec runtime.md semantics of the verbs, and runc's CLI behaviour for errors: `state` carries
 * ociVersion, id, status (created → running → stopped), pid, bundle and annotations; unknown ids, `start` of a
 * running container, `kill` of a stopped one and `delete` of a running one without --force fail with exit 1
 * and a message, and leave the container as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../helpers/busybox.js';
import { eventually } from '../helpers/eventually.js';
import { Scratch } from '../helpers/oci-bundle.js';

let s: Scratch;
beforeAll(() => {
  busyboxRootfs();
  s = new Scratch('ocistate');
});
afterAll(() => s?.cleanup());

describe('tsc-runtime OCI state and lifecycle errors', () => {
  it('state follows created → running → stopped with the OCI fields', async () => {
    const id = s.id('life');
    const b = s.bundle(id, { args: ['sleep', '300'] });
    (b.config.annotations as Record<string, string>)['com.example.k'] = 'v';
    await import('node:fs').then((fs) => fs.writeFileSync(`${b.dir}/config.json`, JSON.stringify(b.config)));
    s.ok(['create', '--bundle', b.dir, id]);
    const created = s.state(id);
    expect(created).toMatchObject({ ociVersion: expect.stringMatching(/^1\.\d+\.\d+/), id, status: 'created', bundle: b.dir });
    expect((created.annotations as Record<string, string>)['com.example.k']).toBe('v');
    expect(created.pid as number).toBeGreaterThan(0);
    const again = s.rt(['create', '--bundle', b.dir, id]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    s.ok(['start', id]);
    await eventually(() => expect(s.state(id).status).toBe('running'));
    expect(s.state(id).pid).toBe(created.pid);
    const twice = s.rt(['start', id]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/not created/);

    const del = s.rt(['delete', id]);
    expect(del.status).toBe(1);
    expect(del.stderr).toMatch(/running/);
    expect(s.state(id).status).toBe('running');

    s.ok(['kill', id, 'KILL']);
    const st = await eventually(() => {
      const v = s.state(id);
      return v.status === 'stopped' ? v : undefined;
    });
    expect(st).toMatchObject({ id, status: 'stopped', exitCode: 137, signal: 'SIGKILL' });
    const kill = s.rt(['kill', id, 'TERM']);
    expect(kill.status).toBe(1);
    expect(kill.stderr).toMatch(/not running/);
    s.ok(['delete', id]);
    expect(s.rt(['state', id]).status).toBe(1);
  });

  it('unknown ids fail every verb with exit 1 and "does not exist"', () => {
    for (const verb of [['state'], ['start'], ['kill'], ['delete'], ['delete', '--force']]) {
      const r = s.rt([...verb, `${s.prefix}-missing`]);
      expect(r.status, verb.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/does not exist/);
    }
    const e = s.rt(['exec', `${s.prefix}-missing`, '--', 'true']);
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/does not exist/);
  });

  it('usage errors exit 2', () => {
    expect(s.rt(['kill']).status).toBe(2);
    expect(s.rt(['frobnicate', 'x']).status).toBe(2);
    expect(s.rt(['kill', `${s.prefix}-x`, 'NOSUCHSIG']).status).toBe(2);
  });
});
