/** Rows of `ps`: from the runtime's container records to Compose's `ps --format json` fields. */
import type { ContainerInfo } from '../runtime/api.js';
import type { ContainerSummary } from '../api.js';
import { L_COMMAND, L_IMAGE_REF, L_PORTS } from '../supervisor/labels.js';

export function humanDuration(ms: number): string {
  if (ms < 1000) return 'Less than a second';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'}`;
  return `${Math.round(h / 24)} days`;
}

function command(labels: Record<string, string>): string {
  try {
    const argv = JSON.parse(labels[L_COMMAND] ?? '[]') as unknown;
    return Array.isArray(argv) ? `"${argv.map(String).join(' ')}"` : '""';
  } catch {
    return '""';
  }
}

function publishers(labels: Record<string, string>): ContainerSummary['Publishers'] {
  const out: ContainerSummary['Publishers'] = [];
  for (const p of (labels[L_PORTS] ?? '').split(',').filter(Boolean)) {
    const m = /^(.*):(\d+)->(\d+)\/(tcp|udp)$/.exec(p);
    if (m) out.push({ URL: m[1] ?? '', PublishedPort: Number(m[2]), TargetPort: Number(m[3]), Protocol: m[4] ?? 'tcp' });
  }
  return out;
}

export function toSummary(c: ContainerInfo, health: string, now = Date.now()): ContainerSummary {
  const h = health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : '';
  let status = 'Created';
  let state: ContainerSummary['State'] = 'created';
  if (c.status === 'running') {
    state = 'running';
    status = `Up ${humanDuration(now - Date.parse(c.startedAt ?? c.createdAt))}${h ? ` (${h === 'starting' ? 'health: starting' : h})` : ''}`;
  } else if (c.status === 'stopped') {
    state = 'exited';
    status = `Exited (${c.exit?.exitCode ?? 0}) ${humanDuration(now - Date.parse(c.exit?.finishedAt ?? c.createdAt))} ago`;
  }
  return {
    ID: c.id,
    Name: c.name,
    Project: c.project,
    Service: c.service,
    Number: c.number,
    Image: c.labels[L_IMAGE_REF] ?? '',
    Command: command(c.labels),
    State: state,
    Status: status,
    Health: h,
    ExitCode: c.exit?.exitCode ?? 0,
    CreatedAt: c.createdAt,
    Publishers: publishers(c.labels),
    Labels: c.labels,
    ...(c.pid !== undefined && c.status === 'running' ? { Pid: c.pid } : {}),
  };
}

/** `ps` table, Compose's columns. */
export function psTable(rows: ContainerSummary[]): string {
  const head = ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'];
  const now = Date.now();
  const body = rows.map((r) => [
    r.Name, r.Image, r.Command, r.Service, `${humanDuration(now - Date.parse(r.CreatedAt))} ago`, r.Status,
    r.Publishers.map((p) => `${p.URL}:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`).join(', '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}
