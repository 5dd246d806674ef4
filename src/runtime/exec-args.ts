/**
 * The `tsc-runtime exec` argument list for an ExecRequest: the container's env overlaid by the
 * request's, its cwd and user unless the request names others (names resolved from the image).
 */
import type { ExecRequest } from './api.js';
import type { ContainerRecord } from './container-store.js';
import { resolveImageUser } from './container-prepare.js';
import { envListToMap } from './process-spec.js';

/** @param upper the container's writable layer: users added at run time (adduser) resolve too. */
export async function execArgs(rec: ContainerRecord, req: ExecRequest, upper: string): Promise<string[]> {
  const env = envListToMap(rec.env);
  for (const [k, v] of Object.entries(req.env ?? {})) env.set(k, v);
  let user = `${rec.uid}:${rec.gid}`;
  if (req.user !== undefined && req.user !== '') {
    const u = await resolveImageUser([...rec.layerDirs, upper], req.user, []);
    user = `${u.uid}:${u.gid}`;
  }
  const args = ['exec'];
  if (req.tty) args.push('-t');
  args.push('--cwd', req.workingDir ?? rec.cwd);
  for (const [k, v] of env) args.push('--env', `${k}=${v}`);
  args.push('--user', user, rec.id, '--', ...req.argv);
  return args;
}
