/**
 * `ps` output as `docker compose ps` prints it. `--format json` is JSON Lines — one object per container,
 * with the field names and value shapes of `docker ps --format json` (Labels as "k=v,k=v", Ports as text,
 * Command quoted and cut to 20 characters unless --no-trunc) plus Compose's Project, Service, Publishers
 * and ExitCode. The table has Compose's columns NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS.
 */
import type { ContainerSummary } from '../api.js';
import { humanDuration } from '../engine/format.js';
import { TscError } from '../errors.js';
import { alignColumns } from './go-template.js';
import type { ContainerDetails } from './ps-details.js';

export const PS_STATES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'] as const;

/** Docker's formatter.Ellipsis for ASCII: at most `max` characters, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

function commandText(r: ContainerSummary): string {
  try {
    const argv = JSON.parse(r.Labels['org.tscompose.command'] ?? 'null') as unknown;
    if (Array.isArray(argv)) return argv.map(String).join(' ');
  } catch {
    // fall back to the summary's own rendering
  }
  return r.Command.replace(/^"|"$/g, '');
}

const portsText = (r: ContainerSummary): string =>
  r.Publishers.map((p) => (p.PublishedPort ? `${p.URL}:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}` : `${p.TargetPort}/${p.Protocol}`)).join(', ');

export interface PsJsonRow {
  Command: string;
  /** Unix seconds (the Created of Compose's ContainerSummary). */
  Created: number;
  /** As Compose prints it: Go's time.String() of the creation second ("2026-01-02 15:04:05 +0000 UTC"). */
  CreatedAt: string;
  ExitCode: number;
  Health: string;
  ID: string;
  Image: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Name: string;
  Names: string;
  Networks: string;
  Number: number;
  Ports: string;
  Project: string;
  Publishers: ContainerSummary['Publishers'];
  RunningFor: string;
  Service: string;
  Size: string;
  State: string;
  Status: string;
  Pid?: number;
}

/** Go's time.Time.String() of a whole second, in UTC. */
export function goTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${new Date(Math.floor(t / 1000) * 1000).toISOString().replace('T', ' ').replace('.000Z', '')} +0000 UTC`;
}

/** `details`: the container's networks and mounts (ps-details.ts); without them those fields are empty. */
export function psJsonRow(r: ContainerSummary, opts: { trunc: boolean }, now = Date.now(), details?: ContainerDetails): PsJsonRow {
  const cmd = commandText(r);
  const created = Date.parse(r.CreatedAt);
  return {
    Command: JSON.stringify(opts.trunc ? ellipsis(cmd, 20) : cmd),
    Created: Number.isFinite(created) ? Math.floor(created / 1000) : 0,
    CreatedAt: goTime(r.CreatedAt),
    ExitCode: r.ExitCode,
    Health: r.Health,
    ID: r.ID,
    Image: r.Image,
    Labels: Object.entries(r.Labels).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: String(details?.localVolumes ?? 0),
    // Compose's ContainerContext.Mounts: each name cut to 15 characters unless --no-trunc
    Mounts: (details?.mounts ?? []).map((m) => (opts.trunc ? ellipsis(m, 15) : m)).join(','),
    Name: r.Name,
    Names: r.Name,
    Networks: (details?.networks ?? []).join(','),
    Number: r.Number,
    Ports: portsText(r),
    Project: r.Project,
    Publishers: r.Publishers,
    RunningFor: `${humanDuration(now - Date.parse(r.CreatedAt))} ago`,
    Service: r.Service,
    Size: '0B',
    State: r.State,
    Status: r.Status,
    ...(r.Pid !== undefined ? { Pid: r.Pid } : {}),
  };
}

export function psJsonLines(rows: ContainerSummary[], opts: { trunc: boolean }, details?: ReadonlyMap<string, ContainerDetails>): string {
  const now = Date.now();
  return rows.map((r) => `${JSON.stringify(psJsonRow(r, opts, now, details?.get(r.ID)))}\n`).join('');
}

/** Compose's column titles for `--format "table {{.Field}}..."` (NewContainerContext's header map). */
export const PS_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID', Name: 'NAME', Project: 'PROJECT', Service: 'SERVICE', Image: 'IMAGE', Command: 'COMMAND',
  CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS',
};

/** A row for a Go template: the JSON fields plus Compose's `.Label "key"` method. */
export function psTemplateRow(r: ContainerSummary, opts: { trunc: boolean }, now = Date.now(), details?: ContainerDetails): Record<string, unknown> {
  return { ...psJsonRow(r, opts, now, details), Label: (key: unknown) => r.Labels[String(key)] ?? '' };
}

/** Compose's default table: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS, aligned as Docker's tabwriter. */
export function psTable(rows: ContainerSummary[], opts: { trunc: boolean }): string {
  const head = ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'];
  const now = Date.now();
  const body = rows.map((r) => {
    const j = psJsonRow(r, opts, now);
    return [j.Name, j.Image, j.Command, j.Service, j.RunningFor, j.Status, j.Ports];
  });
  return alignColumns([head, ...body].map((cells) => cells.join('\t'))).map((l) => `${l}\n`).join('');
}

/** `--status S` (repeatable) and `--filter status=S`, checked against Docker's state names (Compose's words for bad filters). */
export function statusFilter(status: readonly string[], filters: readonly string[]): string[] {
  const out = [...status];
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new TscError('USAGE', 'arguments to --filter should be in form KEY=VAL');
    const key = f.slice(0, eq);
    if (key !== 'status') throw new TscError('USAGE', `unknown filter ${key}: only status=STATE is supported`);
    out.push(f.slice(eq + 1));
  }
  for (const s of out) {
    if (!(PS_STATES as readonly string[]).includes(s)) throw new TscError('USAGE', `invalid status "${s}": use one of ${PS_STATES.join(', ')}`);
  }
  return out;
}
