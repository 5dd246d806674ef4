import { describe, expect, it } from 'vitest';
import { plan, formatPlan, type Desired, type DesiredService, type ObservedContainer, type PlanInput } from '../../src/controller/plan.js';

const svc = (name: string, over: Partial<DesiredService> = {}): DesiredService => ({
  name, hash: `h-${name}`, replicas: 1, restart: { condition: 'no' }, mode: 'running', ...over,
});
const desired = (services: DesiredService[], over: Partial<Desired> = {}): Desired => ({
  project: 'p',
  services: Object.fromEntries(services.map((s) => [s.name, s])),
  known: services.map((s) => s.name),
  levels: [['db'], ['web']],
  removeOrphans: false,
  ...over,
});
const ctr = (service: string, number: number, over: Partial<ObservedContainer> = {}): ObservedContainer => ({
  id: `${service}${number}`, name: `p-${service}-${number}`, service, number, hash: `h-${service}`, status: 'running', noRestart: false, ...over,
});
const run = (over: Partial<PlanInput> & { desired: Desired }): string =>
  formatPlan(plan({ observed: [], restarts: {}, holds: {}, nowMs: 10_000, ...over }), over.nowMs ?? 10_000);

describe('plan (golden text)', () => {
  it('creates everything from nothing, dependencies first', () => {
    expect(run({ desired: desired([svc('db'), svc('web', { replicas: 2 })]) })).toBe(
      ['2 create+start p-db-1: not found', '3 create+start p-web-1: not found', '3 create+start p-web-2: not found', ''].join('\n'),
    );
  });

  it('changes nothing when everything runs (idempotent)', () => {
    expect(run({ desired: desired([svc('db'), svc('web')]), observed: [ctr('db', 1), ctr('web', 1)] })).toBe('nothing to do\n');
  });

  it('recreates only the service whose config hash changed', () => {
    const d = desired([svc('db'), svc('web', { hash: 'h-web-2' })]);
    expect(run({ desired: d, observed: [ctr('db', 1), ctr('web', 1)] })).toBe('3 recreate+start p-web-1: config hash changed\n');
  });

  it('keeps a drifted container with --no-recreate and recreates all with --force-recreate', () => {
    const nr = desired([svc('web', { hash: 'new', noRecreate: true })]);
    expect(run({ desired: nr, observed: [ctr('web', 1)] })).toBe('note p-web-1: config hash changed, kept (--no-recreate)\n');
    const fr = desired([svc('db', { forceRecreate: true }), svc('web')]);
    expect(run({ desired: fr, observed: [ctr('db', 1), ctr('web', 1)] })).toBe('2 recreate+start p-db-1: --force-recreate\n');
  });

  it('scales up into free numbers and down from the highest number', () => {
    const up = desired([svc('web', { replicas: 3 })]);
    expect(run({ desired: up, observed: [ctr('web', 2)] })).toBe('3 create+start p-web-1: not found\n3 create+start p-web-3: not found\n');
    const down = desired([svc('web', { replicas: 1 })]);
    expect(run({ desired: down, observed: [ctr('web', 1), ctr('web', 2), ctr('web', 3)] })).toBe(
      '1 remove p-web-3: scale down to 1\n1 remove p-web-2: scale down to 1\n',
    );
  });

  it('removes a duplicate left by a crash, keeping the running one', () => {
    const d = desired([svc('web')]);
    const observed = [ctr('web', 1, { id: 'a', status: 'created', createdAtMs: 5 }), ctr('web', 1, { id: 'b', createdAtMs: 1 })];
    expect(run({ desired: d, observed })).toBe('1 remove p-web-1: duplicate of web #1\n');
  });

  it('reports orphans and removes them only with --remove-orphans', () => {
    const observed = [ctr('web', 1), ctr('old', 1)];
    expect(run({ desired: desired([svc('web')]), observed })).toBe('orphans: p-old-1\n');
    expect(run({ desired: desired([svc('web')], { removeOrphans: true }), observed })).toBe(
      '0 remove p-old-1: orphan: service "old" is not in the project\norphans: p-old-1\n',
    );
  });

  it('leaves inactive services alone', () => {
    const d = desired([svc('web')], { known: ['web', 'db'] });
    expect(run({ desired: d, observed: [ctr('web', 1), ctr('db', 1, { status: 'stopped' })] })).toBe('nothing to do\n');
  });

  it('starts a created container, but not under --no-start', () => {
    expect(run({ desired: desired([svc('web')]), observed: [ctr('web', 1, { status: 'created' })] })).toBe('3 start p-web-1: created, not started\n');
    expect(run({ desired: desired([svc('web', { mode: 'created' })]), observed: [] })).toBe('3 create p-web-1: not found\n');
    expect(run({ desired: desired([svc('web', { mode: 'created' })]), observed: [ctr('web', 1, { status: 'created' })] })).toBe('nothing to do\n');
  });

  it('applies the restart policy to an exited container, with back-off', () => {
    const exit = { exitCode: 3, oomKilled: false, startedAtMs: 9_000, finishedAtMs: 9_850 };
    const observed = [ctr('web', 1, { status: 'stopped', exit })];
    expect(run({ desired: desired([svc('web')]), observed })).toBe('note p-web-1: exited with code 3; restart policy "no"\n');
    const always = desired([svc('web', { restart: { condition: 'always' } })]);
    expect(run({ desired: always, observed })).toBe(
      '3 recreate+start p-web-1: exited with code 3; restart policy "always", attempt 1 after 100 ms\n',
    );
    expect(run({ desired: always, observed, restarts: { 'web/1': { attempts: 4, history: [], backoffMs: 800 } } })).toBe('wake in 1450 ms\n');
    expect(run({ desired: always, observed: [ctr('web', 1, { status: 'stopped', exit, noRestart: true })] })).toBe('nothing to do\n');
    const withUp = desired([svc('web', { startExited: true })]);
    expect(run({ desired: withUp, observed: [ctr('web', 1, { status: 'stopped', exit, noRestart: true })] })).toBe(
      '3 recreate+start p-web-1: exited; started again\n',
    );
  });

  it('holds a slot whose last action failed until its back-off passed', () => {
    expect(run({ desired: desired([svc('web')]), holds: { 'web/1': 10_400 } })).toBe('note p-web-1: waiting 400 ms after a failed attempt\nwake in 400 ms\n');
    expect(run({ desired: desired([svc('web')]), holds: { 'web/1': 9_000 } })).toBe('3 create+start p-web-1: not found\n');
  });

  it('uses container_name', () => {
    expect(run({ desired: desired([svc('web', { containerName: 'my-web' })]) })).toBe('3 create+start my-web: not found\n');
  });
});
