/**
 * The interpolation environment: env files (`.env` of the project directory, or every --env-file in order,
 * later ones winning) under the process environment, which wins as in Compose. Values inside env files
 * may refer to the process environment and to earlier keys.
 */
import { TscError } from '../errors.js';
import { parseEnv, EnvSyntaxError } from './env.js';

export function readEnvFiles(
  files: readonly string[],
  osEnv: Record<string, string | undefined>,
  read: (file: string) => string,
  /** more variables the files' values may refer to (an including project's), after osEnv */
  outer?: (k: string) => string | undefined,
): Record<string, string | undefined> {
  const fromFiles: Record<string, string> = {};
  for (const f of files) {
    const lookup = (k: string): string | undefined => osEnv[k] ?? outer?.(k) ?? fromFiles[k];
    try {
      Object.assign(fromFiles, parseEnv(read(f), lookup));
    } catch (e) {
      if (e instanceof EnvSyntaxError) {
        throw new TscError('SPEC_INVALID', `${f}: invalid env file`, { details: [`${f}:${e.line}:${e.col}: ${e.message}`] });
      }
      throw e;
    }
  }
  const out: Record<string, string | undefined> = { ...fromFiles };
  for (const [k, v] of Object.entries(osEnv)) if (v !== undefined) out[k] = v;
  return out;
}
