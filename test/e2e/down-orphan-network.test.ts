/**
 * `down` without --remove-orphans while a container of a service no longer in the file still runs on the
 * project's network: as Docker Compose, the orphan is left running with its network, and the network is
 * reported "Resource is still in use" instead of removed (down still succeeds). `down --remove-orphans`
 * afterwards removes the orphan and the network, leaving nothing behind.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaksOf, stackEnvWithBusybox } from '../helpers/stack.js';

const env = stackEnvWithBusybox('dorph');
const service = (name: string): string => `  ${name}:\n    image: busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]\n`;

const hostLinks = (): string[] => (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);
const nftTables = (): string[] => execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(' ').pop() ?? '');
const netState = (project: string): { table: string; bridges: string[] } => {
  const st = JSON.parse(readFileSync(join(env.root, 'network', `${project}.json`), 'utf8')) as { table: string; networks: Record<string, { bridge: string }> };
  return { table: st.table, bridges: Object.values(st.networks).map((n) => n.bridge) };
};

describe('down with a running orphan on the project network', () => {
  it('leaves the orphan and its network ("Resource is still in use"); down --remove-orphans then removes both', async () => {
    const p = env.project('dorph', `services:\n${service('web')}${service('worker')}`);
    await env.ok(p, ['up', '-d']);
    const { table, bridges } = netState(p.name);
    expect(bridges).toHaveLength(1);
    env.writeCompose(p.dir, `services:\n${service('web')}`);

    const down = await env.ok(p, ['--progress', 'plain', 'down']);
    expect(down.stderr).toContain(`Found orphan container (${p.name}-worker-1)`);
    expect(down.stderr).toMatch(new RegExp(`Network ${p.name}_default +Resource is still in use`));
    expect(down.stderr).not.toMatch(new RegExp(`Network ${p.name}_default +Removed`));
    expect(down.stderr).toMatch(new RegExp(`Container ${p.name}-web-1 +Removed`));

    // the orphan still runs, with its address, on a bridge that is still there (with its rules)
    const rows = await env.psJson(p);
    expect(rows.map((r) => [r.Name, r.State])).toEqual([[`${p.name}-worker-1`, 'running']]);
    const pid = rows[0]?.Pid;
    expect(pid).toBeGreaterThan(0);
    const addr = execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' });
    expect(addr).toMatch(/inet \d+\.\d+\.\d+\.\d+\//);
    expect(hostLinks()).toContain(bridges[0]);
    expect(nftTables()).toContain(table);

    const all = await env.ok(p, ['--progress', 'plain', 'down', '--remove-orphans', '-t', '2']);
    expect(all.stderr).toMatch(new RegExp(`Container ${p.name}-worker-1 +Removed`));
    expect(all.stderr).toMatch(new RegExp(`Network ${p.name}_default +Removed`));
    // listed as soon as down returned, not eventually
    const left = [
      ...leaksOf(env, p.name),
      ...bridges.filter((b) => hostLinks().includes(b)).map((b) => `link ${b}`),
      ...(nftTables().includes(table) ? [`nft table ${table}`] : []),
    ];
    expect(left).toEqual([]);
  });

  it('a plain down interrupted by a killed supervisor is finished by the next one without the orphans', async () => {
    const p = env.project('dorpk', `services:\n${service('web')}${service('worker')}`);
    await env.ok(p, ['up', '-d']);
    env.writeCompose(p.dir, `services:\n${service('web')}`);
    // the journal a plain `down` writes before it removes anything, left by a supervisor killed right then
    // with its watchdog: the next supervisor must be the one `up` starts after the files below are written
    const pid = env.killSupervisorAndWatchdog(p.name);
    await eventually(() => {
      try {
        process.kill(pid as number, 0);
        return undefined;
      } catch {
        return true;
      }
    }, { what: 'the killed supervisor gone', timeoutMs: 30_000 });
    const rows = await env.psJson(p);
    const web = rows.find((r) => r.Name === `${p.name}-web-1`);
    expect(web).toBeDefined();
    const stateFile = join(env.root, 'projects', p.name, 'state.json');
    // down saves the project the CLI sent (without worker) with the phase and the ids it is about to remove
    const st = JSON.parse(readFileSync(stateFile, 'utf8')) as { project: { services: Record<string, unknown> } };
    delete st.project.services.worker;
    writeFileSync(stateFile, JSON.stringify({ ...st, phase: 'down', pending: [String(web?.ID)] }));

    // the next supervisor finishes that down (web goes), keeps the running orphan, then serves `up`
    await env.ok(p, ['up', '-d']);
    expect(env.supervisorLog(p.name)).toContain('finishing an interrupted down');
    const after = await env.psJson(p);
    expect(after.map((r) => [r.Name, r.State]).sort()).toEqual([[`${p.name}-web-1`, 'running'], [`${p.name}-worker-1`, 'running']]);
    expect(after.find((r) => r.Name === `${p.name}-web-1`)?.ID).not.toBe(web?.ID);
    await env.ok(p, ['down', '--remove-orphans', '-t', '2']);
    expect(leaksOf(env, p.name)).toEqual([]);
  });
});
