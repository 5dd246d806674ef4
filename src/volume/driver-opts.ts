/**
 * The `local` driver's `driver_opts` (Docker's `type`, `device`, `o`), for the forms that need no host
 * mount of our own: a bind (`o: bind`, `device: /host/path`) and a tmpfs (`type: tmpfs`). Both are
 * handed to the runtime as ordinary mounts inside the container. Other types (nfs, ext4 devices) need
 * a host mount and are refused with HOST_UNSUPPORTED.
 */
import { TscError } from '../errors.js';
import type { ResolvedMount } from '../runtime/api.js';
import type { VolumeRecord } from './store.js';

export function localDriverMount(r: VolumeRecord, target: string, readOnly: boolean): ResolvedMount | undefined {
  const { type, device, o } = r.options;
  if (type === undefined && device === undefined && o === undefined) return undefined;
  const opts = (o ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (type === 'tmpfs') {
    return { type: 'tmpfs', target, readOnly, options: opts };
  }
  if (opts.includes('bind') && device !== undefined && device.startsWith('/') && (type === undefined || type === 'none' || type === '')) {
    const rest = opts.filter((x) => x !== 'bind' && x !== 'rbind');
    const ro = readOnly || rest.includes('ro');
    return { type: 'bind', source: device, target, readOnly: ro, ...(rest.some((x) => x !== 'ro' && x !== 'rw') ? { options: rest.filter((x) => x !== 'ro' && x !== 'rw') } : {}) };
  }
  throw new TscError('HOST_UNSUPPORTED', `volume "${r.name}": local driver options type=${type ?? ''} device=${device ?? ''} o=${o ?? ''} are not supported (only o=bind with a device path, or type=tmpfs)`);
}
