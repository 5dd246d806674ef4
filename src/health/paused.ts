/**
 * Which containers are paused, for their health checkers: Docker stops a container's health monitor while
 * it is paused (a probe exec'd into a frozen cgroup would only hang until its timeout and turn the container
 * unhealthy) and starts it again on unpause, the status unchanged meanwhile. The supervisor's pause handler
 * records pauses here; a checker skips its probes while its container is listed, and drops the result of a
 * probe that was in flight when the container was paused.
 */
const paused = new Map<string, number>();
let generation = 0;

export function markProbesPaused(id: string, isPaused: boolean): void {
  if (isPaused) paused.set(id, ++generation);
  else paused.delete(id);
}

export function probesPaused(id: string): boolean {
  return paused.has(id);
}

/** Changes whenever the container is paused: a probe whose token changed meanwhile is void. */
export function pauseToken(id: string): number {
  return paused.get(id) ?? 0;
}
