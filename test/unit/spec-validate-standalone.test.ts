// The build step: scripts/gen-validator.mjs must produce a standalone validator that agrees with the schema.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), `tsc-validator-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Validator = ((data: unknown) => boolean) & { errors?: unknown[] | null };

function generate(): Validator {
  const out = join(dir, 'compose-validator.cjs');
  const script = fileURLToPath(new URL('../../scripts/gen-validator.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, out], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // Evaluate as CommonJS with this repository's require, so `ajv/dist/runtime/*` resolves from a temp dir.
  const module = { exports: {} as unknown };
  new Function('require', 'module', 'exports', readFileSync(out, 'utf8'))(createRequire(import.meta.url), module, module.exports);
  return module.exports as Validator;
}

describe('gen-validator', () => {
  const validate = generate();

  it('accepts a valid file', () => {
    expect(validate({ services: { web: { image: 'nginx', ports: ['80:80', { target: 81 }], deploy: { replicas: 2 } } } })).toBe(true);
  });

  it('rejects wrong types, unknown keys and bad enums, with errors for the fallback mapping', () => {
    expect(validate({ services: { web: { image: 'nginx', ports: [true] } } })).toBe(false);
    expect(validate.errors?.length).toBeGreaterThan(0);
    expect(validate({ services: { web: { imgae: 'nginx' } } })).toBe(false);
    expect(validate({ services: { web: { image: 'a', depends_on: { db: { condition: 'soon' } } } } })).toBe(false);
    expect(validate({ services: { web: { image: 'a', ports: [{ target: 80 }, { target: 80 }] } } })).toBe(false);
  });
});
