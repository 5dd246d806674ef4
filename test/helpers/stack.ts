/**
 * e2e harness for stacks driven through the real CLI (node bin/tscompose.js, built by `npm run build`):
 * a fresh TSCOMPOSE_ROOT and run dir under os.tmpdir() per test file, a busybox image in that store,
 * a unique project name per test, and cleanup (down --volumes --remove-orphans, then our own supervisors killed
 * by the pid in their lock file) even when a test failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { ImageStore } from '../../src/image/store.js';
import { importBusybox } from './busybox-image.js';

export const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/tscompose.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export class StackEnv {
  readonly base: string;
  readonly root: string;
  readonly runDir: string;
  private readonly projects = new Set<string>();

  constructor(label: string) {
    // short path: the supervisor socket lives under the run dir (sun_path is 108 bytes)
    this.base = mkdtempSync(join(tmpdir(), `tsc-${label}-`));
    this.root = join(this.base, 'root');
    this.runDir = join(this.base, 'run');
    mkdirSync(this.root, { recursive: true });
    mkdirSync(this.runDir, { recursive: true });
  }

  get env(): Record<string, string> {
    return { ...(process.env as Record<string, string>), TSCOMPOSE_ROOT: this.root, TSCOMPOSE_RUN_DIR: this.runDir, TSCOMPOSE_NET_RUN: join(this.runDir, 'net') };
  }

  async importBusybox(): Promise<void> {
    await importBusybox(new ImageStore({ root: this.root }));
  }

  /** A project dir with compose.yaml; the project name is unique per call. */
  project(prefix: string, yaml: string): { name: string; dir: string } {
    const name = `${prefix}${process.pid}${randomBytes(2).toString('hex')}`.toLowerCase();
    const dir = join(this.base, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'compose.yaml'), yaml);
    this.projects.add(name);
    return { name, dir };
  }

  writeCompose(dir: string, yaml: string): void {
    writeFileSync(join(dir, 'compose.yaml'), yaml);
  }

  run(p: { name: string; dir: string }, args: string[], timeoutMs = 120_000, extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((res) => {
      const child = spawn(process.execPath, [BIN, '-p', p.name, ...args], { cwd: p.dir, env: { ...this.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code, sig) => {
        clearTimeout(t);
        res({ status: code ?? (sig ? 128 : 1), stdout, stderr });
      });
    });
  }

  async ok(p: { name: string; dir: string }, args: string[]): Promise<CliResult> {
    const r = await this.run(p, args);
    if (r.status !== 0) throw new Error(`tscompose ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}\n${this.supervisorLog(p.name)}`);
    return r;
  }

  async psJson(p: { name: string; dir: string }, all = true): Promise<{ Name: string; Service: string; State: string; ID: string; Number: number; ExitCode: number; Pid?: number; Status: string; Health: string }[]> {
    const r = await this.ok(p, ['ps', ...(all ? ['-a'] : []), '--format', 'json']);
    return parsePsJson(r.stdout) as never;
  }

  supervisorLog(name: string): string {
    const f = join(this.root, 'projects', name, 'supervisor.log');
    return existsSync(f) ? `--- supervisor log ---\n${readFileSync(f, 'utf8').slice(-4000)}` : '';
  }

  /**
   * SIGKILLs the project's supervisor and then its watchdog (src/supervisor/watchdog.ts), which would
   * otherwise start a successor 2 s later: for tests that write a dead supervisor's files by hand and
   * need the next supervisor to be the one their CLI starts. Returns the supervisor's pid.
   */
  killSupervisorAndWatchdog(name: string): number {
    const sup = this.supervisorPid(name) ?? 0;
    if (sup <= 0) throw new Error(`no supervisor for ${name}`);
    process.kill(sup, 'SIGKILL'); // the supervisor this test's up started
    try {
      const wd = Number(readFileSync(join(this.root, 'projects', name, 'watchdog.pid'), 'utf8'));
      if (readFileSync(`/proc/${wd}/cmdline`, 'utf8').split('\0')[1] === '--watchdog') process.kill(wd, 'SIGKILL'); // its watchdog
    } catch {
      // not started yet (it comes 1 s after the supervisor listens) or gone
    }
    return sup;
  }

  /** Pid of the project's supervisor, from its lock file. */
  supervisorPid(name: string): number | undefined {
    try {
      return (JSON.parse(readFileSync(join(this.root, 'projects', name, 'supervisor.lock'), 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  }

  /** Runtime container records left in this root (should be none after down). */
  containerDirs(): string[] {
    const d = join(this.root, 'containers');
    return existsSync(d) ? readdirSync(d) : [];
  }

  async cleanup(): Promise<void> {
    for (const name of this.projects) {
      await this.run({ name, dir: this.base }, ['down', '--volumes', '--remove-orphans', '-t', '1'], 60_000).catch(() => undefined);
      const pid = this.supervisorPid(name);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    // any container of ours still running: kill it through the runtime binary, by id
    const rt = join(REPO, 'native/build/tsc-runtime');
    for (const id of this.containerDirs()) spawnSync(rt, ['--root', join(this.runDir, 'runtime'), 'delete', '--force', id], { stdio: 'ignore' });
    // retried: a supervisor that answered its `down` may still be exiting, and writes its code cache
    // (cache/supervisor/) at exit, racing this removal (ENOTEMPTY)
    rmSync(this.base, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

/** Mounts whose path mentions this env's base dir (overlays, binds): should be none after down. */
export function mountsUnder(base: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(base));
}

/** Processes whose command line or cwd mentions this env's base dir. */
export function processesUnder(base: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const env = readFileSync(`/proc/${d}/environ`, 'utf8');
      if (cmd.includes(base) || env.includes(`TSCOMPOSE_ROOT=${base}`)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * `ps --format json` as Compose prints it (JSON Lines, Labels as "k=v,k=v"; older Compose printed one
 * array) into rows whose Labels are a map, for tests that read labels.
 */
export function parsePsJson(stdout: string): Record<string, unknown>[] {
  const t = stdout.trim();
  const rows = (t === '' ? [] : t.startsWith('[') ? JSON.parse(t) : t.split('\n').map((l) => JSON.parse(l))) as Record<string, unknown>[];
  return rows.map((r) => (typeof r.Labels === 'string' ? { ...r, Labels: labelMap(r.Labels) } : r));
}

function labelMap(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[(last = part.slice(0, i))] = part.slice(i + 1);
    else if (last !== undefined) out[last] += `,${part}`; // a value with a comma in it (config_files)
  }
  return out;
}

export const uniq = (): string => `${process.pid}${randomBytes(3).toString('hex')}`;

/** Everything a project may leave on the host, listed: [] means clean. */
export function leaksOf(env: StackEnv, project: string): string[] {
  const out: string[] = [];
  for (const id of env.containerDirs()) out.push(`container state ${id}`);
  if (existsSync(join(env.root, 'projects', project))) out.push(`project state ${project}`);
  const rtRoot = join(env.runDir, 'runtime');
  if (existsSync(rtRoot)) for (const d of readdirSync(rtRoot)) out.push(`runtime state ${d}`);
  for (const m of mountsUnder(env.base)) out.push(`mount ${m}`);
  for (const pid of processesUnder(env.base)) out.push(`process ${pid}`);
  for (const ctrl of ['memory', 'pids', 'cpu', 'unified']) {
    const d = join('/sys/fs/cgroup', ctrl, 'tscompose', project);
    if (existsSync(d)) for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) out.push(`cgroup ${ctrl}/${e.name}`);
  }
  if (existsSync('/run/netns')) for (const n of readdirSync('/run/netns')) if (n.startsWith(`tsc-${project}-`)) out.push(`netns ${n}`);
  return out;
}

/** A StackEnv for a whole test file: busybox imported before its tests, everything cleaned up after. */
export function stackEnvWithBusybox(label: string): StackEnv {
  const env = new StackEnv(label);
  beforeAll(async () => {
    await env.importBusybox();
  }, 120_000);
  afterAll(async () => {
    await env.cleanup();
  }, 180_000);
  return env;
}
