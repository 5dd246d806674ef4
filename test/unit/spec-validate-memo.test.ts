/**
 * Documents found valid are remembered (src/spec/validate-memo.ts) so that the next load of the same file
 * skips the schema validator; anything else is validated as before, and the file-backed memo of the CLI
 * (src/cli/validation-memo.ts) only trusts its own files.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateDocument } from '../../src/spec/validate.js';
import { memoBucket, memoKey, type ValidationMemo } from '../../src/spec/validate-memo.js';
import { parseYaml } from '../../src/spec/yaml.js';
import { makeSourceDoc } from '../../src/spec/yaml-located.js';
import { loadProject } from '../../src/spec/index.js';
import { fileValidationMemo } from '../../src/cli/validation-memo.js';

const FILE = '/p/compose.yaml';
const doc = (text: string) => makeSourceDoc(FILE, parseYaml(text, FILE));

/** An in-memory memo that records what it was asked. */
function recording(initial: string[] = []): ValidationMemo & { keys: Set<string>; asked: number } {
  const keys = new Set(initial);
  const m = {
    keys,
    asked: 0,
    has: (k: string) => {
      m.asked++;
      return keys.has(k);
    },
    add: (k: string) => void keys.add(k),
  };
  return m;
}

describe('memoKey', () => {
  it('is the exact JSON behind the validator id', () => {
    expect(memoKey('v1', { services: { a: { image: 'x', ports: [80] } } })).toBe('v1\n{"services":{"a":{"image":"x","ports":[80]}}}');
  });
  it('refuses data JSON cannot tell apart', () => {
    expect(memoKey('v', { a: Number.NaN })).toBeUndefined();
    expect(memoKey('v', { a: [Infinity] })).toBeUndefined();
    expect(memoKey('v', { a: new Date(0) })).toBeUndefined();
    expect(memoKey('v', { a: undefined })).toBeUndefined();
  });
  it('buckets are short names, the same for the same key', () => {
    const k = memoKey('v', { services: { a: { image: 'x'.repeat(50_000) } } })!;
    expect(memoBucket(k)).toMatch(/^[0-9a-f]{2}$/);
    expect(memoBucket(k)).toBe(memoBucket(`${k}`));
  });
});

describe('validateDocument with a memo', () => {
  const valid = 'services:\n  web:\n    image: busybox\n';
  const invalid = 'services:\n  web:\n    image: busybox\n    ports: {bad: 1}\n';

  it('remembers a valid document and then trusts the memo for it', () => {
    const memo = recording();
    expect(validateDocument(doc(valid), memo)).toEqual([]);
    expect(memo.keys.size).toBe(1);
    expect(validateDocument(doc(valid), memo)).toEqual([]);
    expect(memo.keys.size).toBe(1);
  });

  it('never remembers an invalid document, and reports it every time', () => {
    const memo = recording();
    const first = validateDocument(doc(invalid), memo).filter((p) => p.severity === 'error');
    expect(first.length).toBeGreaterThan(0);
    expect(memo.keys.size).toBe(0);
    expect(validateDocument(doc(invalid), memo).filter((p) => p.severity === 'error')).toEqual(first);
  });

  it('a changed document is validated again (the memo of the old one does not answer for it)', () => {
    const memo = recording();
    validateDocument(doc(valid), memo);
    expect(validateDocument(doc(invalid), memo).some((p) => p.severity === 'error')).toBe(true);
  });

  it('still warns about unsupported keys of a remembered document', () => {
    const text = 'services:\n  web:\n    image: busybox\n    devices: ["/dev/null:/dev/null"]\n';
    const memo = recording();
    const warned = validateDocument(doc(text), memo);
    expect(warned.some((p) => p.severity === 'warning')).toBe(true);
    expect(validateDocument(doc(text), memo)).toEqual(warned);
  });

  it('the memo is what decides (a key it holds is not validated)', () => {
    // proof that the validator is skipped: a memo claiming the invalid document is valid is believed
    const key = memoKey('x', parseYaml(invalid, FILE))!.slice(2);
    const memo: ValidationMemo = { has: (k) => k.endsWith(key), add: () => undefined };
    expect(validateDocument(doc(invalid), memo).filter((p) => p.severity === 'error')).toEqual([]);
  });
});

describe('the CLI memo on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `tsc-memo-${process.pid}-`));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips keys, compares them in full, and keeps at most one file per bucket', () => {
    const m = fileValidationMemo(join(dir, 'spec'));
    expect(m.has('a\nb')).toBe(false);
    m.add('a\nb');
    expect(m.has('a\nb')).toBe(true);
    expect(m.has('a\nc')).toBe(false);
    expect(readdirSync(join(dir, 'spec'))).toEqual([`valid-${memoBucket('a\nb')}`]);
  });

  it('ignores a file others can write and a symlink', () => {
    const spec = join(dir, 'spec');
    const m = fileValidationMemo(spec);
    m.add('k1');
    const file = join(spec, `valid-${memoBucket('k1')}`);
    chmodSync(file, 0o666);
    expect(m.has('k1')).toBe(false);
    rmSync(file);
    writeFileSync(join(dir, 'elsewhere'), 'k1', { mode: 0o600 });
    symlinkSync(join(dir, 'elsewhere'), file);
    expect(m.has('k1')).toBe(false);
  });

  it('a broken file still fails to load with its located error after a valid version was remembered', async () => {
    const proj = join(dir, 'proj');
    const memoDir = join(dir, 'spec');
    const memo = fileValidationMemo(memoDir);
    const file = join(proj, 'compose.yaml');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(proj);
    writeFileSync(file, 'services:\n  web:\n    image: busybox\n');
    await loadProject({ cwd: proj, env: {}, validationMemo: memo });
    expect(readdirSync(memoDir).length).toBe(1);
    await loadProject({ cwd: proj, env: {}, validationMemo: memo });
    writeFileSync(file, 'services:\n  web:\n    image: busybox\n    restart: sometimes\n');
    const e = await loadProject({ cwd: proj, env: {}, validationMemo: memo }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SPEC_INVALID' });
    expect((e as { details: string[] }).details.join('\n')).toMatch(/compose\.yaml:4:\d+: services\.web\.restart/);
  });
});
