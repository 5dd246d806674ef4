/**
 * A holder of ip_forward whose project's nft table is gone (a process killed between writing the hold and
 * making the table, or a table removed by hand with its root) must not keep forwarding on for good: the next
 * project that lets go drops it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { nftTableName, projectScope } from '../../src/network/names.js';
import { NetFixture, net, project, svc, uniq } from './network-fixture.js';

const ex = promisify(execFile);
const holderOf = (root: string, p: string): string => `${createHash('sha256').update(root).digest('hex').slice(0, 12)}:${p}`;

function holders(): string[] {
  try {
    return (JSON.parse(readFileSync('/run/tscompose/host/ip_forward.json', 'utf8')) as { holders: string[] }).holders;
  } catch {
    return [];
  }
}

describe('ip_forward holders', () => {
  const a = new NetFixture({ lbWorkers: 1 });
  const b = new NetFixture({ lbWorkers: 1 });
  afterAll(async () => {
    await a.cleanup();
    await b.cleanup();
  });

  it('a holder whose nft table is gone is dropped when another project lets go', async () => {
    const pa = project(uniq('fha'), { s: svc('s') }, { default: net('default') });
    const pb = project(uniq('fhb'), { s: svc('s') }, { default: net('default') });
    await a.up(pa);
    const stale = holderOf(a.root, pa.name);
    expect(holders()).toContain(stale);
    // the table goes without its hold (as when its maker was killed between the two)
    await ex('nft', ['delete', 'table', 'inet', nftTableName(projectScope(a.root, pa.name), pa.name)]);
    await b.up(pb);
    expect(holders()).toEqual(expect.arrayContaining([stale, holderOf(b.root, pb.name)]));
    await b.nm.cleanupProject(pb.name);
    expect(holders()).not.toContain(stale);
    expect(holders()).not.toContain(holderOf(b.root, pb.name));
    await a.nm.cleanupProject(pa.name);
    expect(await a.leftovers()).toEqual([]);
    expect(await b.leftovers()).toEqual([]);
  }, 60_000);

  it('a record lost while held (emptied by a process killed as it wrote it) does not leave forwarding on', async () => {
    const before = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const pa = project(uniq('fla'), { s: svc('s') }, { default: net('default') });
    const pb = project(uniq('flb'), { s: svc('s') }, { default: net('default') });
    await a.up(pa);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('1');
    writeFileSync('/run/tscompose/host/ip_forward.json', ''); // what a kill between open(O_TRUNC) and write left
    await b.up(pb);
    await b.nm.cleanupProject(pb.name);
    await a.nm.cleanupProject(pa.name);
    // neither project holds forwarding any more; with no holder left at all, it is off again (unless it was
    // on before: other test files' projects on this host may hold it, or have let go, meanwhile)
    const left = holders();
    expect(left.filter((h) => h.endsWith(`:${pa.name}`) || h.endsWith(`:${pb.name}`))).toEqual([]);
    if (left.length === 0 && before === '0') {
      expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('0');
      expect((await ex('nft', ['list', 'tables'])).stdout).not.toContain('tscompose_forward_guard');
    }
  }, 60_000);
});
