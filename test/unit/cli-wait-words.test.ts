/** `up --wait` in Compose's words (src/cli/progress-names.ts waitWords): Waiting, then Healthy, per waited container. */
import { describe, expect, it } from 'vitest';
import { waitWords } from '../../src/cli/progress-names.js';
import type { ProgressEvent } from '../../src/api.js';

type ResourceStatus = Extract<ProgressEvent, { type: 'resource' }>['status'];
const ev = (resource: string, status: ResourceStatus, done = true): ProgressEvent => ({ type: 'resource', resource, status, done });

function run(events: ProgressEvent[], ok: boolean): string[] {
  const out: string[] = [];
  const w = waitWords((e) => out.push(e.type === 'resource' ? `${e.resource} ${e.status}` : e.text));
  for (const e of events) w.on(e);
  w.done(ok);
  return out;
}

describe('waitWords', () => {
  it('the wait\'s end (Running or Healthy) becomes Waiting then Healthy for each container, after the pass', () => {
    expect(run([ev('Network p_default', 'Created'), ev('Container p-a-1', 'Started'), ev('Container p-b-1', 'Started'), ev('Container p-a-1', 'Healthy'), ev('Container p-b-1', 'Running')], true)).toEqual([
      'Network p_default Created', 'Container p-a-1 Started', 'Container p-b-1 Started',
      'Container p-a-1 Waiting', 'Container p-b-1 Waiting', 'Container p-a-1 Healthy', 'Container p-b-1 Healthy',
    ]);
  });
  it('an up-to-date container\'s Running of the pass is kept, its last one is the wait\'s', () => {
    expect(run([ev('Container p-a-1', 'Running'), ev('Container p-a-1', 'Running')], true)).toEqual(['Container p-a-1 Running', 'Container p-a-1 Waiting', 'Container p-a-1 Healthy']);
  });
  it('a failed wait passes what it held on unchanged', () => {
    expect(run([ev('Container p-a-1', 'Started'), ev('Container p-a-1', 'Running')], false)).toEqual(['Container p-a-1 Started', 'Container p-a-1 Running']);
  });
  it('messages and a dependency\'s Waiting go through at once', () => {
    const msg: ProgressEvent = { type: 'message', level: 'warning', text: 'w' };
    expect(run([msg, ev('Container p-db-1', 'Waiting', false), ev('Container p-db-1', 'Healthy'), ev('Container p-web-1', 'Started'), ev('Container p-db-1', 'Healthy')], true)).toEqual([
      'w', 'Container p-db-1 Waiting', 'Container p-db-1 Healthy', 'Container p-web-1 Started', 'Container p-db-1 Waiting', 'Container p-db-1 Healthy',
    ]);
  });
});

describe('waitWords, rows', () => {
  it('the wait\'s row may list containers in another order than the pass did', () => {
    expect(run([ev('Container p-a-1', 'Running'), ev('Container p-b-1', 'Healthy'), ev('Container p-a-1', 'Running')], true)).toEqual([
      'Container p-a-1 Running', 'Container p-b-1 Waiting', 'Container p-a-1 Waiting', 'Container p-b-1 Healthy', 'Container p-a-1 Healthy',
    ]);
  });
});
