/**
 * `build:` (string context or long form), `develop.watch`, `depends_on` (list or map) and `pull_policy`.
 * Paths are absolute against the project directory; a remote build context (URL or git) is kept as written.
 */
import { posix } from 'node:path';
import { refreshIntervalMs } from '../image/pull-policy.js';
import type { BuildConfig, Dependency, DependencyCondition, Develop, PullPolicy, WatchRule } from './model.js';
import type { KeyPath } from './source.js';
import { isRaw, listOrDict, rawAt, scalarString, stringList, type Problems, type Raw } from './normalize-util.js';
import { splitShellWords } from './parse-shell.js';
import { parseBool } from './units.js';
import { resolveHostPath, type PathContext } from './normalize-volumes.js';

function isRemoteContext(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('git@') || s.startsWith('github.com/');
}

export function normalizeBuild(
  v: unknown,
  env: Record<string, string | undefined>,
  ctx: PathContext,
): BuildConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const r: Raw = typeof v === 'string' ? { context: v } : rawAt(v);
  const contextText = typeof r['context'] === 'string' && r['context'] !== '' ? r['context'] : '.';
  const out: BuildConfig = {
    context: isRemoteContext(contextText) ? contextText : resolveHostPath(contextText, ctx),
    dockerfile: typeof r['dockerfile'] === 'string' ? r['dockerfile'] : 'Dockerfile',
    // A build arg named without a value takes the caller's environment, or is left out (Compose).
    args: listOrDict(r['args'], (k) => env[k]),
    labels: listOrDict(r['labels'], () => ''),
  };
  if (typeof r['dockerfile_inline'] === 'string') out.dockerfileInline = r['dockerfile_inline'];
  if (typeof r['target'] === 'string') out.target = r['target'];
  return out;
}

const CONDITIONS: readonly DependencyCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

export function normalizeDependsOn(v: unknown, path: KeyPath, p: Problems): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  const dflt = (): Dependency => ({ condition: 'service_started', required: true, restart: false });
  if (Array.isArray(v)) for (const name of v) out[scalarString(name)] = dflt();
  else if (isRaw(v)) {
    for (const [name, cfg] of Object.entries(v)) {
      const r = rawAt(cfg);
      const at = [...path, name];
      const dep = dflt();
      if (typeof r['condition'] === 'string' && (CONDITIONS as readonly string[]).includes(r['condition'])) {
        dep.condition = r['condition'] as DependencyCondition;
      }
      if (r['required'] !== undefined) dep.required = p.take(parseBool(r['required']), [...at, 'required'], r['required']) ?? true;
      if (r['restart'] !== undefined) dep.restart = p.take(parseBool(r['restart']), [...at, 'restart'], r['restart']) ?? false;
      out[name] = dep;
    }
  }
  return out;
}

/** Compose's pull policies; `if_not_present` is `missing`; refresh ones (daily, weekly, every_12h) are checked. */
export function normalizePullPolicy(v: unknown, path: KeyPath, p: Problems): PullPolicy {
  if (v === undefined || v === null) return 'missing';
  const s = scalarString(v);
  if (s === 'always' || s === 'never' || s === 'build' || s === 'missing') return s;
  if (s === 'if_not_present') return 'missing';
  if (s === 'daily' || s === 'weekly' || s?.startsWith('every_')) {
    try {
      refreshIntervalMs(s);
      return s as PullPolicy;
    } catch (e) {
      p.error(path, e instanceof Error ? e.message : String(e));
      return 'missing';
    }
  }
  // `refresh` (with pull_refresh_after) is valid Compose the engine does not follow yet
  p.warn(path, `pull_policy "${s}" is not supported yet; using "missing"`);
  return 'missing';
}

function watchRule(v: unknown, path: KeyPath, p: Problems, ctx: PathContext): WatchRule | undefined {
  const r = rawAt(v);
  if (typeof r['path'] !== 'string' || typeof r['action'] !== 'string') return undefined;
  const rule: WatchRule = {
    action: r['action'] as WatchRule['action'],
    path: resolveHostPath(r['path'], ctx),
    ignore: stringList(r['ignore']),
    include: stringList(r['include']),
    initialSync: r['initial_sync'] === undefined ? false : (p.take(parseBool(r['initial_sync']), [...path, 'initial_sync'], r['initial_sync']) ?? false),
  };
  if (typeof r['target'] === 'string') rule.target = posix.normalize(r['target']);
  if ((rule.action === 'sync' || rule.action.startsWith('sync+')) && rule.target === undefined) {
    p.error(path, `missing "target", expected the container path that action "${rule.action}" syncs to`);
  }
  const exec = r['exec'];
  if (isRaw(exec)) {
    const cmd = exec['command'];
    const split = typeof cmd === 'string' ? p.take(splitShellWords(cmd), [...path, 'exec', 'command'], cmd) : undefined;
    rule.exec = {
      command: Array.isArray(cmd) ? cmd.map(scalarString) : (split ?? []),
      environment: listOrDict(exec['environment'], () => undefined),
    };
    if (typeof exec['user'] === 'string') rule.exec.user = exec['user'];
    if (typeof exec['working_dir'] === 'string') rule.exec.workingDir = exec['working_dir'];
  } else if (rule.action === 'sync+exec') p.error(path, 'missing "exec", expected the command that action "sync+exec" runs');
  return rule;
}

export function normalizeDevelop(v: unknown, path: KeyPath, p: Problems, ctx: PathContext): Develop | undefined {
  if (v === undefined || v === null) return undefined;
  const watch = rawAt(v)['watch'];
  const rules = Array.isArray(watch) ? watch.map((w, i) => watchRule(w, [...path, 'watch', i], p, ctx)) : [];
  return { watch: rules.filter((x): x is WatchRule => x !== undefined) };
}
