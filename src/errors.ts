/**
 * One error class for the whole engine. `code` says what kind of failure it is; only `cli/main.ts`
 * turns codes into exit statuses and messages. `details` carries extra user-facing lines (for example
 * every located spec error of a file), `cause` the underlying error for debugging (never printed by default).
 */
export type ErrorCode =
  | 'USAGE' // wrong CLI usage
  | 'SPEC_NOT_FOUND' // no compose file found / a named file is missing
  | 'SPEC_INVALID' // parse, schema or semantic errors in compose files (details = located messages)
  | 'SPEC_INTERPOLATION' // ${VAR:?err} and friends
  | 'NOT_ROOT' // an operation needs root
  | 'HOST_UNSUPPORTED' // overlayfs, cgroup controller, kernel feature missing
  | 'RUNTIME' // the native runtime failed to create/start/exec/kill a container
  | 'NOT_FOUND' // a container, service, image, volume or network that does not exist
  | 'CONFLICT' // something exists that must not (name in use, lock held)
  | 'IMAGE' // image store or unpack failure
  | 'REGISTRY' // registry protocol / auth / digest failure
  | 'NETWORK' // bridge, veth, address, firewall failure
  | 'STATE' // the state directory is unreadable or inconsistent
  | 'SUPERVISOR' // cannot reach or start the project's supervisor
  | 'TIMEOUT' // a wait ran out (up --wait, stop)
  | 'NOT_IMPLEMENTED' // a verb or option that exists as a named stub
  | 'INTERNAL'; // a bug: anything unexpected is wrapped into this at the CLI boundary

export class TscError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, opts: { details?: readonly string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TscError';
    this.code = code;
    this.details = opts.details ?? [];
  }
}

export function isTscError(e: unknown): e is TscError {
  return e instanceof TscError;
}

/** Exit statuses by code; documented in README. 1 is the generic failure as in docker compose. */
export const EXIT_STATUS: Record<ErrorCode, number> = {
  USAGE: 2,
  SPEC_NOT_FOUND: 14,
  SPEC_INVALID: 15,
  SPEC_INTERPOLATION: 15,
  NOT_ROOT: 4,
  HOST_UNSUPPORTED: 5,
  RUNTIME: 1,
  NOT_FOUND: 1,
  CONFLICT: 1,
  IMAGE: 1,
  REGISTRY: 1,
  NETWORK: 1,
  STATE: 1,
  SUPERVISOR: 1,
  TIMEOUT: 1,
  NOT_IMPLEMENTED: 3,
  INTERNAL: 70,
};

/** errno-style helper: the `code` property of a Node system error, if any. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = (e as { code: unknown }).code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}
