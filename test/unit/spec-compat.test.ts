/**
 * Regression tests from the issue-3 acceptance audit: behaviours a Docker Compose user relies on that the
 * spec layer got wrong once (each `describe` names the Compose rule).
 */
import { describe, expect, it } from 'vitest';
import { parseRawEnv, EnvSyntaxError } from '../../src/spec/env.js';
import { parseYaml } from '../../src/spec/yaml.js';
import { TscError } from '../../src/errors.js';

describe('env_file format: raw (docker run --env-file syntax)', () => {
  it('keeps values exactly as written: quotes, $ and # stay', () => {
    const text = '# comment\n\nA=$PLAIN "q"\nB=x # y\n  C=\'s\'\nD\nE\n';
    expect(parseRawEnv(text, (k) => (k === 'D' ? 'fromos' : undefined))).toEqual({ A: '$PLAIN "q"', B: 'x # y', C: "'s'", D: 'fromos' });
  });

  it('rejects a name with whitespace', () => {
    expect(() => parseRawEnv('OK=1\nBAD NAME=2')).toThrow(EnvSyntaxError);
  });
});

function yamlError(text: string): string {
  try {
    parseYaml(text, 'f.yaml');
  } catch (e) {
    if (e instanceof TscError) return e.details.join('\n');
    throw e;
  }
  throw new Error('no error');
}

describe('duplicate keys (Compose: mapping key already defined)', () => {
  it('names the key path and the first definition', () => {
    expect(yamlError('services:\n  web:\n    image: a\n    image: b\n')).toBe('f.yaml:4:5: services.web.image: duplicated mapping key "image" (already defined at line 3)');
    expect(yamlError('name: a\nservices: {}\nname: b\n')).toBe('f.yaml:3:1: name: duplicated mapping key "name" (already defined at line 1)');
    expect(yamlError('services:\n  web:\n    environment:\n      A: 1\n      # c\n      "A": 2\n')).toMatch(/:6:7: services\.web\.environment\.A: duplicated mapping key "A" \(already defined at line 4\)$/);
  });

  it('flow style still gives a located syntax error', () => {
    expect(yamlError('services: {web: {image: a, image: b}}\n')).toMatch(/^f\.yaml:1:\d+: \(root\): YAML syntax error: duplicated mapping key$/);
  });
});

describe('config --variables (compose-go ExtractVariables)', () => {
  it('lists every variable with required / default / alternate, nested ones too, sorted', async () => {
    const { extractVariables } = await import('../../src/spec/variables.js');
    const model = { services: { web: { image: '${IMG:?need it}', environment: { A: '$PLAIN', B: '${D:-${NESTED-x}}', C: '${ALT:+yes}', E: '$$NOT_A_VAR' } } } };
    expect(extractVariables(model)).toEqual([
      { name: 'ALT', required: false, defaultValue: '', alternateValue: 'yes' },
      { name: 'D', required: false, defaultValue: '${NESTED-x}', alternateValue: '' },
      { name: 'IMG', required: true, defaultValue: '', alternateValue: '' },
      { name: 'NESTED', required: false, defaultValue: 'x', alternateValue: '' },
      { name: 'PLAIN', required: false, defaultValue: '', alternateValue: '' },
    ]);
  });
});
