/** Rows of `ps`: from the runtime's container records to Compose's `ps --format json` fields. */
import type { ContainerInfo } from '../runtime/api.js';
import type { ContainerSummary } from '../api.js';
import { L_COMMAND, L_IMAGE_REF, L_PORTS } from '../supervisor/labels.js';

/** Docker's units.HumanDuration (go-units), word for word: "Less than a second", "About a minute", "3 hours"... */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
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
    if (m) out.push({ URL: m[1] ?? '', TargetPort: Number(m[3]), PublishedPort: Number(m[2]), Protocol: m[4] ?? 'tcp' }); // Compose's field order
  }
  return out;
}

/**
 * `restarting`: the supervisor will start this exited container's slot again (restart policy, back-off
 * pending) — Docker's "Restarting (1) 3 seconds ago".
 */
export function toSummary(c: ContainerInfo, health: string, now = Date.now(), restarting = false): ContainerSummary {
  const h = health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : '';
  let status = 'Created';
  let state: ContainerSummary['State'] = 'created';
  if (c.status === 'running') {
    state = 'running';
    status = `Up ${humanDuration(now - Date.parse(c.startedAt ?? c.createdAt))}${h ? ` (${h === 'starting' ? 'health: starting' : h})` : ''}`;
  } else if (c.status === 'stopped' && restarting) {
    state = 'restarting';
    status = `Restarting (${c.exit?.exitCode ?? 0}) ${humanDuration(now - Date.parse(c.exit?.finishedAt ?? c.createdAt))} ago`;
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
