/**
 * The corpus: realistic compose projects under test/fixtures/compose/<case>/ whose `tscompose config` output
 * is checked in (expected.yaml / expected.json / expected.txt, plus expected.warnings when loading warns),
 * and broken ones under errors/<case>/ whose stderr and exit status are checked in (expected.stderr).
 * An optional case.json gives the command line: files, env, profiles, envFiles, projectName, services,
 * interpolate, format, list. Absolute paths of the fixture directory print as <dir>.
 * Regenerate after a deliberate change with TSCOMPOSE_UPDATE_CORPUS=1, then review the diff.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject, type LoadOptions } from '../../src/spec/index.js';
import { formatConfig, selectServices } from '../../src/cli/verbs/config-run.js';
import { EXIT_STATUS, TscError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../fixtures/compose/', import.meta.url));
const UPDATE = process.env.TSCOMPOSE_UPDATE_CORPUS === '1';

interface CaseSpec {
  files?: string[];
  env?: Record<string, string>;
  profiles?: string[];
  envFiles?: string[];
  projectName?: string;
  services?: string[];
  interpolate?: boolean;
  format?: 'yaml' | 'json';
  list?: 'services' | 'volumes' | 'networks' | 'profiles' | 'images';
}

function caseSpec(dir: string): CaseSpec {
  const f = join(dir, 'case.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as CaseSpec) : {};
}

function options(dir: string, c: CaseSpec): LoadOptions {
  return {
    cwd: dir,
    env: c.env ?? {},
    files: c.files,
    profiles: c.profiles,
    envFiles: c.envFiles,
    projectName: c.projectName,
    services: c.services,
    interpolate: c.interpolate,
  };
}

const scrub = (text: string, dir: string): string => text.split(dir.replace(/\/$/, '')).join('<dir>');

function compare(file: string, actual: string): void {
  if (UPDATE) writeFileSync(file, actual);
  else expect(actual).toBe(readFileSync(file, 'utf8'));
}

const cases = (sub: string): string[] =>
  readdirSync(join(ROOT, sub), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'errors')
    .map((d) => d.name)
    .sort();

describe('corpus: config output', () => {
  it('has at least 30 valid cases', () => {
    expect(cases('').length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases(''))('%s', async (name) => {
    const dir = join(ROOT, name);
    const c = caseSpec(dir);
    const { project, warnings } = await loadProject(options(dir, c));
    selectServices(project, c.services ?? []);
    const flags = { format: c.format ?? 'yaml', interpolate: c.interpolate, ...(c.list ? { [c.list]: true } : {}) };
    const out = scrub(await formatConfig(project, flags), dir);
    const ext = c.list ? 'txt' : c.format === 'json' ? 'json' : 'yaml';
    compare(join(dir, `expected.${ext}`), out);
    const warnText = scrub(warnings.map((w) => `WARN ${w.location}: ${w.path}: ${w.message}\n`).join(''), dir);
    const wf = join(dir, 'expected.warnings');
    if (warnText !== '' || existsSync(wf)) compare(wf, warnText);
  });
});

describe('corpus: errors', () => {
  it.each(cases('errors'))('%s', async (name) => {
    const dir = join(ROOT, 'errors', name);
    let err: unknown;
    try {
      await loadProject(options(dir, caseSpec(dir)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TscError);
    const e = err as TscError;
    const stderr = scrub([`exit ${EXIT_STATUS[e.code]}`, e.message, ...e.details].join('\n') + '\n', dir);
    compare(join(dir, 'expected.stderr'), stderr);
  });
});
