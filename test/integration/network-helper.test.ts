/**
 * `tsc-net serve` through NetHelper: bridges and addresses, container netns + veths, one-batch deletion of
 * many links, nft scripts in-process and table deletion by raw netlink, errors that leave nothing behind,
 * a killed helper replaced on the next request, and the helper's exit when its stdin closes (close()
 * resolves once it exited).
 * Kernel objects are checked by listing (/sys/class/net, /run/netns, `nft list tables`).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultHelperPath } from '../../src/network/host.js';
import { NetHelper } from '../../src/network/helper.js';
import { eventually } from '../helpers/eventually.js';

const ex = promisify(execFile);
const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`.slice(0, 8);
const bridge = `tscbt${tag}`;
const veths = [0, 1, 2].map((i) => `tscvt${tag}${i}`);
const netns = [0, 1, 2].map((i) => `/run/netns/tsc-helpertest-${tag}-${i}`);
const table = `tsc_helpertest_${tag}`;
// a /24 of the documentation range, only ever on this test's own bridge and namespaces
const base = `198.51.100`;
const link = (name: string): boolean => existsSync(`/sys/class/net/${name}`);
const tables = async (): Promise<string> => (await ex('nft', ['list', 'tables'])).stdout;

describe('tsc-net serve', () => {
  const h = new NetHelper(defaultHelperPath());

  afterAll(async () => {
    await h.run(['detach', ...netns, ...veths, bridge]).catch(() => undefined);
    await h.run(['nftdel', table]).catch(() => undefined);
    h.close();
  });

  it('makes a bridge with its MAC and addresses, and containers on it that reach each other', async () => {
    await h.run(['setup', '--bridge', `${bridge},02:42:c6:33:64:01,${base}.1/24`, '--addr', `${bridge},${base}.254/32`]);
    expect(readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim()).toBe('02:42:c6:33:64:01');
    const addrs = (await ex('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge])).stdout;
    expect(addrs).toContain(`${base}.1/24`);
    expect(addrs).toContain(`${base}.254/32`);
    // again: an address that is already there is fine
    await h.run(['setup', '--addr', `${bridge},${base}.254/32`]);

    await Promise.all([0, 1].map((i) => h.run(['attach', netns[i]!, '--link', `${veths[i]},${bridge},eth0,${base}.${10 + i}/24`, '--gw', `${base}.1`])));
    for (const i of [0, 1]) {
      expect(existsSync(netns[i]!)).toBe(true);
      expect(link(veths[i]!)).toBe(true);
    }
    const inside = (await ex('ip', ['-n', netns[1]!.split('/').pop()!, '-o', 'link', 'show', 'eth0'])).stdout;
    expect(inside).toContain(`02:42:c6:33:64:0b`); // 02:42 + 198.51.100.11
    const route = (await ex('ip', ['-n', netns[1]!.split('/').pop()!, 'route'])).stdout;
    expect(route).toContain(`default via ${base}.1`);
    await ex('ip', ['netns', 'exec', netns[0]!.split('/').pop()!, 'busybox', 'ping', '-c', '1', '-W', '5', `${base}.11`]);
  });

  it('fails with a message and leaves nothing behind when the bridge does not exist', async () => {
    await expect(h.run(['attach', netns[2]!, '--link', `${veths[2]},tscbnone${tag},eth0,${base}.12/24`])).rejects.toThrow(/bridge tscbnone/);
    expect(existsSync(netns[2]!)).toBe(false);
    expect(link(veths[2]!)).toBe(false);
    await expect(h.run(['attach', 'relative/path'])).rejects.toThrow(/usage/);
  });

  it('deletes many links and namespaces in one call, missing ones included', async () => {
    await h.run(['detach', netns[0]!, veths[0]!, netns[1]!, veths[1]!, netns[2]!, veths[2]!, `tscvnone${tag}`, bridge]);
    for (const n of netns) expect(existsSync(n)).toBe(false);
    for (const v of [...veths, bridge]) expect(link(v)).toBe(false);
  });

  it('runs nft scripts in-process and deletes tables, a missing one beside them being fine', async () => {
    await h.run(['nft'], `table inet ${table} {\n  chain input {\n    type filter hook input priority -1; policy accept;\n    ip daddr ${base}.0/24 iifname != { "lo", "${bridge}" } drop\n  }\n}\n`);
    expect(await tables()).toContain(table);
    await expect(h.run(['nft'], 'table inet x { chain y { nonsense } }\n')).rejects.toThrow(/nft: Error/);
    await h.run(['nftdel', `${table}_none`, table]);
    expect(await tables()).not.toContain(table);
  });

  it('takes an nft script longer than a pipe buffer, and requests queued behind it', async () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `# ${i} ${'x'.repeat(60)}`).join('\n');
    const script = `${filler}\ntable inet ${table} {\n  chain input {\n    type filter hook input priority -1; policy accept;\n  }\n}\n`;
    await Promise.all([h.run(['nft'], script), h.run(['detach']), h.run(['nft'], script)]);
    expect(await tables()).toContain(table);
    await h.run(['nftdel', table]);
    expect(await tables()).not.toContain(table);
  });

  it('replaces a killed helper on the next request, and its process goes when its stdin closes', async () => {
    await h.run(['detach']);
    const first = h.pid!;
    process.kill(first, 'SIGKILL');
    await eventually(() => !existsSync(`/proc/${first}/status`) || /State:\s+Z/.test(readFileSync(`/proc/${first}/status`, 'utf8')), { what: 'killed helper gone' });
    await eventually(async () => {
      await h.run(['detach']);
      return true;
    }, { what: 'a new helper answers' });
    const second = h.pid!;
    expect(second).not.toBe(first);
    h.close();
    await eventually(() => !existsSync(`/proc/${second}/status`) || /State:\s+Z/.test(readFileSync(`/proc/${second}/status`, 'utf8')), { what: 'helper exits at EOF' });
  });

  it('close() resolves once the helper exited, after the request in hand', async () => {
    const own = new NetHelper(defaultHelperPath());
    const name = `tscbc${tag}`;
    const made = own.run(['setup', '--bridge', `${name},02:42:c6:33:65:01,198.51.101.1/24`]);
    const pid = own.pid!;
    await own.close(); // stdin ends right behind the request: it is carried out, then the process exits
    await made;
    const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
    expect(status === '' || /State:\s+Z/.test(status)).toBe(true);
    expect(link(name)).toBe(true);
    await h.run(['detach', name]);
    expect(link(name)).toBe(false);
    await own.close(); // none running: at once
  });
});
