/**
 * Spawning native/build/tsc-runtime (see native/README.md for its CLI) and turning its failures into
 * TscError('RUNTIME') with the tool's own one-line message.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { TscError } from '../errors.js';
import { spawnerEnabled, spawnViaShell } from './spawner.js';

/** native/build/tsc-runtime of this package (from src/runtime or dist/runtime), or $TSCOMPOSE_RUNTIME_BIN. */
export function defaultRuntimeBinary(env: Record<string, string | undefined> = process.env): string {
  if (env.TSCOMPOSE_RUNTIME_BIN) return env.TSCOMPOSE_RUNTIME_BIN;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const cand = join(dir, 'native', 'build', 'tsc-runtime');
    if (existsSync(cand)) return cand;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'tsc-runtime');
}

export interface ToolResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  /** Kill the tool (SIGKILL) after this long; the result then has signal SIGKILL. */
  timeoutMs?: number;
  stdio?: SpawnOptions['stdio'];
  input?: string;
  /** Called with the child's pid once spawned (e.g. to forward signals to it). */
  onSpawn?: (pid: number) => void;
}

/** Run the tool to completion and collect its output (never throws for a non-zero status). */
export async function runTool(bin: string, args: readonly string[], opts: RunOpts = {}): Promise<ToolResult & { timedOut: boolean }> {
  // plain calls go through the shared shell (no fork of Node); timeouts, own stdio and pids need a real child
  if (spawnerEnabled() && opts.stdio === undefined && opts.timeoutMs === undefined && opts.onSpawn === undefined && existsSync(bin)) {
    const r = await spawnViaShell(bin, args, opts.input, { sealedRuntime: true });
    return { ...r, signal: null, timedOut: false };
  }
  return runChild(bin, args, opts);
}

function runChild(bin: string, args: readonly string[], opts: RunOpts): Promise<ToolResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined && child.stdin) child.stdin.end(opts.input);
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        code === 'ENOENT'
          ? new TscError('HOST_UNSUPPORTED', `container runtime binary not found: ${bin} (run \`npm run build\`)`, { cause: e })
          : new TscError('RUNTIME', `cannot run ${bin}: ${e.message}`, { cause: e }),
      );
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr, timedOut });
    });
  });
}

/** The tool's message without its "tsc-runtime: " prefix (last non-empty stderr line). */
export function toolMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? 'failed';
  return last.replace(/^tsc-runtime:\s*/, '');
}

/** Run and require status 0; otherwise TscError('RUNTIME', "<what>: <tool message>"). */
export async function runToolOk(bin: string, args: readonly string[], what: string, opts: RunOpts = {}): Promise<ToolResult> {
  const r = await runTool(bin, args, opts);
  if (r.code !== 0) {
    const msg = toolMessage(r.stderr);
    if (/permission|EPERM|not permitted/i.test(msg) && process.getuid?.() !== 0) {
      throw new TscError('NOT_ROOT', `${what}: tscompose needs root to run containers (${msg})`);
    }
    throw new TscError('RUNTIME', `${what}: ${msg}`, { details: r.stderr.trim() ? [] : [`exit status ${r.code}`] });
  }
  return r;
}
