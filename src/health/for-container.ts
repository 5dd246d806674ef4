/**
 * The one call the controller makes per started container: a HealthChecker wired to the runtime's
 * exec, or undefined when the container has no healthcheck (service NONE/disable, or neither the
 * service nor the image defines one).
 */
import type { Service } from '../spec/model.js';
import type { LocalImage } from '../image/api.js';
import type { ContainerRuntime } from '../runtime/api.js';
import type { HealthClock, HealthEvent } from './api.js';
import { HealthChecker } from './checker.js';
import { effectiveHealthcheck } from './config.js';

export interface HealthCheckerForOptions {
  runtime: Pick<ContainerRuntime, 'exec'>;
  containerId: string;
  service: Service;
  image: LocalImage;
  /** ContainerInfo.startedAt (ISO); start_period counts from it. Default: now. */
  startedAt?: string;
  onEvent: (e: HealthEvent) => void;
  clock?: HealthClock;
}

export function healthCheckerFor(o: HealthCheckerForOptions): HealthChecker | undefined {
  const probe = effectiveHealthcheck(o.service.healthcheck, o.image.config.healthcheck);
  if (!probe) return undefined;
  const started = o.startedAt !== undefined ? Date.parse(o.startedAt) : NaN;
  return new HealthChecker({
    containerId: o.containerId,
    service: o.service.name,
    probe,
    exec: (argv, timeoutMs) => o.runtime.exec(o.containerId, { argv, timeoutMs }),
    onEvent: o.onEvent,
    ...(Number.isNaN(started) ? {} : { startedAt: started }),
    ...(o.clock ? { clock: o.clock } : {}),
  });
}
