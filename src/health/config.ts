/**
 * Which healthcheck a container runs: the service's `healthcheck:` merged with the image's HEALTHCHECK,
 * with Docker's rules (daemon merge of container and image config):
 * - `disable: true` / `test: ["NONE"]` in the service: no healthcheck, even if the image has one.
 * - No `healthcheck:` in the service: the image's, if any and not NONE.
 * - A service healthcheck without `test` (timings only) takes the image's test; without an image test
 *   there is nothing to run. Service timings that are still at Compose's defaults give way to the
 *   image's own values, as the daemon merges unset fields (the model cannot tell "unset" from "default").
 * - Zero or missing durations/retries take Docker's defaults (30 s, 30 s, 0, 5 s, 3 retries).
 * - CMD → argv as is; CMD-SHELL (or a plain string) → ["/bin/sh", "-c", command].
 */
import type { Healthcheck, HealthcheckTest } from '../spec/model.js';
import type { ImageRuntimeConfig } from '../image/api.js';
import type { ProbeConfig } from './api.js';

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_PERIOD_MS = 0;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;

type ImageHealthcheck = NonNullable<ImageRuntimeConfig['healthcheck']>;

/** An image/engine test array (["CMD", ...], ["CMD-SHELL", cmd], ["NONE"], []) → argv, 'none' or undefined (inherit). */
export function imageTestArgv(test: readonly string[]): string[] | 'none' | undefined {
  const [head, ...rest] = test;
  if (head === undefined || head === '') return undefined;
  if (head === 'NONE') return 'none';
  if (head === 'CMD') return rest.length > 0 ? rest : undefined;
  if (head === 'CMD-SHELL') return rest.length > 0 ? ['/bin/sh', '-c', rest.join(' ')] : undefined;
  // A bare array without a CMD keyword: Docker rejects it; treat it as a shell command like a string test.
  return ['/bin/sh', '-c', test.join(' ')];
}

export function testArgv(test: HealthcheckTest): string[] {
  return test.kind === 'cmd' ? [...test.argv] : ['/bin/sh', '-c', test.command];
}

const nsToMs = (ns: number | undefined): number | undefined => (ns === undefined || ns <= 0 ? undefined : Math.round(ns / 1e6));

function pick(serviceValue: number | undefined, serviceDefault: number, imageValue: number | undefined, engineDefault: number): number {
  if (serviceValue !== undefined && serviceValue > 0 && (serviceValue !== serviceDefault || imageValue === undefined)) return serviceValue;
  if (imageValue !== undefined && imageValue > 0) return imageValue;
  return engineDefault;
}

export function effectiveHealthcheck(service: Healthcheck | undefined, image: ImageHealthcheck | undefined): ProbeConfig | undefined {
  if (service?.kind === 'none') return undefined;
  const imageArgv = image ? imageTestArgv(image.test) : undefined;
  const img = image ?? { test: [] };
  const imgTimes = {
    interval: nsToMs(img.intervalNs),
    timeout: nsToMs(img.timeoutNs),
    startPeriod: nsToMs(img.startPeriodNs),
    startInterval: nsToMs(img.startIntervalNs),
    retries: img.retries !== undefined && img.retries > 0 ? img.retries : undefined,
  };
  if (service === undefined) {
    if (imageArgv === undefined || imageArgv === 'none') return undefined;
    return {
      argv: imageArgv,
      intervalMs: imgTimes.interval ?? DEFAULT_INTERVAL_MS,
      timeoutMs: imgTimes.timeout ?? DEFAULT_TIMEOUT_MS,
      startPeriodMs: imgTimes.startPeriod ?? DEFAULT_START_PERIOD_MS,
      startIntervalMs: imgTimes.startInterval ?? DEFAULT_START_INTERVAL_MS,
      retries: imgTimes.retries ?? DEFAULT_RETRIES,
    };
  }
  const argv = service.test !== undefined ? testArgv(service.test) : imageArgv;
  if (argv === undefined || argv === 'none') return undefined;
  return {
    argv,
    intervalMs: pick(service.intervalMs, DEFAULT_INTERVAL_MS, imgTimes.interval, DEFAULT_INTERVAL_MS),
    timeoutMs: pick(service.timeoutMs, DEFAULT_TIMEOUT_MS, imgTimes.timeout, DEFAULT_TIMEOUT_MS),
    startPeriodMs: pick(service.startPeriodMs, DEFAULT_START_PERIOD_MS, imgTimes.startPeriod, DEFAULT_START_PERIOD_MS),
    startIntervalMs: pick(service.startIntervalMs, DEFAULT_START_INTERVAL_MS, imgTimes.startInterval, DEFAULT_START_INTERVAL_MS),
    retries: pick(service.retries, DEFAULT_RETRIES, imgTimes.retries, DEFAULT_RETRIES),
  };
}

/** Go's time.Duration String() for whole milliseconds ("30s", "1.5s", "100ms", "1m30s"), as Docker prints. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}
