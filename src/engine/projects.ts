/**
 * `ls`: the projects known on this host, as `docker compose ls` lists them — from the containers'
 * labels (project, config files), with a status that counts containers by state ("running(2), exited(1)").
 * Pure: the caller lists the containers.
 */
import type { ContainerState } from '../api.js';
import { TscError } from '../errors.js';
import { byteOrder } from '../order.js';

export interface ProjectContainer {
  project: string;
  state: ContainerState | 'paused';
  configFiles: string;
}

/** One row of `ls`; the field names of `docker compose ls --format json`. */
export interface ProjectRow {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

/** Compose's combinedStatus: states sorted by name, each with its count. */
export function combinedStatus(states: readonly string[]): string {
  const n = new Map<string, number>();
  for (const s of states) n.set(s, (n.get(s) ?? 0) + 1);
  return [...n.keys()].sort().map((s) => `${s}(${n.get(s) ?? 0})`).join(', ');
}

/** Name filters of `--filter name=X` (Compose accepts only `name`). */
export function parseLsFilters(filters: readonly string[]): string[] {
  return filters.map((f) => {
    const m = /^([^=]+)=(.*)$/.exec(f);
    if (!m || m[1] !== 'name') throw new TscError('USAGE', `invalid filter "${f}": only name=NAME is supported`);
    return m[2] ?? '';
  });
}

/** Docker's filters.Match: the value is a regular expression matched anywhere in the name (a plain substring when not a valid one). */
function nameMatches(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

/**
 * Without `all`, only running (and paused) containers count, so a project whose containers all stopped
 * is not listed — as Compose, which lists running containers unless -a.
 */
export function projectRows(containers: readonly ProjectContainer[], opts: { all: boolean; names: readonly string[] }): ProjectRow[] {
  const by = new Map<string, ProjectContainer[]>();
  for (const c of containers) {
    if (!opts.all && c.state !== 'running' && c.state !== 'paused') continue;
    by.set(c.project, [...(by.get(c.project) ?? []), c]);
  }
  const rows: ProjectRow[] = [];
  for (const [name, cs] of by) {
    if (opts.names.length > 0 && !opts.names.some((p) => nameMatches(name, p))) continue;
    const files = [...new Set(cs.flatMap((c) => c.configFiles.split(',')).filter(Boolean))];
    rows.push({ Name: name, Status: combinedStatus(cs.map((c) => c.state)), ConfigFiles: files.join(',') });
  }
  return rows.sort((a, b) => byteOrder(a.Name, b.Name));
}

/** Compose's table (tabwriter: min width 20, padding 3). */
export function lsTable(rows: readonly ProjectRow[]): string {
  const head = ['NAME', 'STATUS', 'CONFIG FILES'];
  const body = rows.map((r) => [r.Name, r.Status, r.ConfigFiles]);
  const widths = [0, 1].map((i) => Math.max(20, ...[head, ...body].map((b) => [...(b[i] ?? '')].length + 3)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c + ' '.repeat((widths[i] ?? 0) - [...c].length) : c)).join('').trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}
