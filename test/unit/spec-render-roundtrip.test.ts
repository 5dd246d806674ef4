// Idempotence over the corpus: every checked-in `config` output, loaded again, renders to itself.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { renderProject } from '../../src/spec/render.js';
import { validateDocument } from '../../src/spec/validate.js';
import { normalizeProject } from '../../src/spec/normalize.js';
import { parseYaml } from '../../src/spec/yaml.js';
import { makeSourceDoc } from '../../src/spec/yaml-located.js';

const ROOT = fileURLToPath(new URL('../fixtures/compose/', import.meta.url));
const cases = existsSync(ROOT) ? readdirSync(ROOT).filter((d) => existsSync(`${ROOT}${d}/expected.yaml`)) : [];

describe('render(normalize(rendered)) === rendered', () => {
  it('has corpus outputs to check', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  it.each(cases)('%s', (name) => {
    const text = readFileSync(`${ROOT}${name}/expected.yaml`, 'utf8').replaceAll('<dir>', '/fx');
    const file = `/fx/${name}.yaml`;
    const doc = makeSourceDoc(file, parseYaml(text, file));
    expect(validateDocument(doc).filter((p) => p.severity === 'error')).toEqual([]);
    const data = yaml.load(text) as Record<string, unknown>;
    const { project, problems } = normalizeProject(doc, {
      projectName: String(data['name']),
      workingDir: '/fx',
      composeFiles: [file],
      env: {},
      activeProfiles: ['*'],
    });
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(renderProject(project)).toEqual(data);
  });
});
