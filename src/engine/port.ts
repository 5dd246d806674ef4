/** `port SERVICE PRIVATE_PORT`: the published address of a container's port, as `docker compose port` finds it. */
import type { ContainerSummary } from '../api.js';
import { TscError } from '../errors.js';

export interface PortQuery {
  service: string;
  /** Replica number (Compose's --index; 1 when not given). */
  index: number;
  port: number;
  protocol: 'tcp' | 'udp';
}

/** "HOST:PORT" (`0.0.0.0:8080`), or a NOT_FOUND error worded as Compose's. */
export function publishedPort(rows: readonly ContainerSummary[], q: PortQuery): string {
  const c = rows.find((r) => r.Service === q.service && r.Number === q.index);
  if (!c) throw new TscError('NOT_FOUND', `service "${q.service}" is not running container #${q.index}`);
  const p = c.Publishers.find((x) => x.TargetPort === q.port && x.Protocol === q.protocol && x.PublishedPort > 0);
  if (!p) throw new TscError('NOT_FOUND', `no port ${q.port}/${q.protocol} for container ${c.Name}`);
  return `${p.URL}:${p.PublishedPort}`;
}

/** PRIVATE_PORT as Compose takes it: a number, optionally "80/tcp". */
export function parsePrivatePort(v: string, protocol: string): { port: number; protocol: 'tcp' | 'udp' } {
  const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(v);
  const port = m ? Number(m[1]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new TscError('USAGE', `invalid private port "${v}"`);
  const proto = m[2] ?? protocol;
  if (proto !== 'tcp' && proto !== 'udp') throw new TscError('USAGE', `invalid protocol "${protocol}": use tcp or udp`);
  return { port, protocol: proto };
}
