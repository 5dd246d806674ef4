/**
 * The `tsc-runtime exec` argument list for an ExecRequest. The runtime starts from the container's own
 * process (config.json: env, cwd, uid/gid and supplementary groups) and resolves a `--user` name inside
 * the container, so only what the request changes is passed. A user name is checked here first against
 * the image and the container's writable layer, for Docker's message ("unable to find user ...").
 */
import type { ExecRequest } from './api.js';
import type { ContainerRecord } from './container-store.js';
import { resolveImageUser } from './container-prepare.js';
import { TscError, isTscError } from '../errors.js';

/** The exec's process could not be set up: `exec` exits 126 with it, as `docker exec` (not a CLI failure's 1). */
export class ExecSetupError extends TscError {
  readonly exitStatus = 126;
}

/** @param upper the container's writable layer: users added at run time (adduser) resolve too. */
export async function execArgs(rec: ContainerRecord, req: ExecRequest, upper: string): Promise<string[]> {
  const args = ['exec'];
  if (req.tty) args.push('-t');
  if (req.detach) args.push('--detach');
  if (req.privileged) args.push('--privileged');
  if (req.workingDir !== undefined && req.workingDir !== '') args.push('--cwd', req.workingDir);
  for (const [k, v] of Object.entries(req.env ?? {})) args.push('--env', `${k}=${v}`);
  if (req.user !== undefined && req.user !== '') {
    await resolveImageUser([...rec.layerDirs, upper], req.user, []).catch((e: unknown) => {
      throw isTscError(e) ? new ExecSetupError(e.code, e.message, { cause: e }) : e;
    });
    args.push('--user', req.user);
  }
  args.push(rec.id, '--', ...req.argv);
  return args;
}
