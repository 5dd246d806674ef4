/**
 * The load balancer's view of a project: which replicas of each service receive new connections. Kept in
 * memory and pushed to the network layer per service as replicas start, turn (un)healthy, leave or exit;
 * rebuilt from one full listing after every controller pass.
 */
import type { ContainerInfo } from '../runtime/api.js';
import type { HealthStatus } from '../health/api.js';
import type { EngineDeps } from './containers.js';

export class Rotation {
  private readonly services = new Map<string, Map<string, boolean>>();

  constructor(
    private readonly project: () => string,
    private readonly deps: EngineDeps,
    private readonly health: ReadonlyMap<string, HealthStatus>,
  ) {}

  private set(service: string, id: string, present: boolean): void {
    let m = this.services.get(service);
    if (!m) this.services.set(service, (m = new Map()));
    const h = this.health.get(id);
    if (present) m.set(id, h !== 'unhealthy' && h !== 'starting');
    else m.delete(id);
  }

  private async push(service: string): Promise<void> {
    const net = this.deps.network;
    if (!net) return;
    const backends = [...(this.services.get(service) ?? new Map<string, boolean>())].map(([id, healthy]) => ({ id, healthy }));
    await net.setBackends(this.project(), service, backends).catch((e) => this.deps.log(`setBackends ${service}: ${String(e)}`));
  }

  async rebuild(infos: ContainerInfo[], services: string[]): Promise<void> {
    this.services.clear();
    for (const c of infos) if (c.status === 'running') this.set(c.service, c.id, true);
    for (const s of services) await this.push(s);
  }

  async rotate(service: string, id: string, present: boolean): Promise<void> {
    if (!this.deps.network) return;
    this.set(service, id, present);
    await this.push(service);
  }
}
