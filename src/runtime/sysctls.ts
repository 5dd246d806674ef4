/**
 * Which sysctls a container may set: only those of a kernel namespace the container owns, as runc's
 * validator decides (Docker passes them through to it). Anything else would be written to the host's
 * /proc/sys and change the whole machine, so it is refused before the container is made.
 * - IPC namespace (always private here): kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni,
 *   shm_rmid_forced, and fs.mqueue.*
 * - network namespace: net.*, unless the container shares the host's network (network_mode: host)
 * - UTS namespace: kernel.domainname (kernel.hostname conflicts with `hostname:`)
 */
import { TscError } from '../errors.js';

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** The reason `key` may not be set in a container, or undefined when it may. Keys use dots or slashes. */
export function sysctlRefusal(key: string, hostNetwork: boolean): string | undefined {
  const k = key.replace(/\//g, '.');
  if (IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.')) return undefined;
  if (k.startsWith('net.')) return hostNetwork ? `sysctl "${key}" is not allowed in the host's network namespace (network_mode: host)` : undefined;
  if (k === 'kernel.domainname') return undefined;
  if (k === 'kernel.hostname') return `sysctl "${key}" is not allowed: it conflicts with the "hostname" setting`;
  return `sysctl "${key}" is not in a separate kernel namespace (only IPC sysctls, fs.mqueue.* and net.* can be set per container)`;
}

/** The sysctls unchanged, or a SPEC_INVALID error naming the first one that would change the host. */
export function checkedSysctls(sysctls: Readonly<Record<string, string>>, hostNetwork: boolean): Record<string, string> {
  for (const key of Object.keys(sysctls)) {
    const why = sysctlRefusal(key, hostNetwork);
    if (why) throw new TscError('SPEC_INVALID', why);
  }
  return { ...sysctls };
}
