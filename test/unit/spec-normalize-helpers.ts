// Shared by the spec-normalize*/spec-render tests: YAML text -> normalizeProject, with real positions.
import { normalizeProject, type NormalizeContext } from '../../src/spec/normalize.js';
import type { Project, Service } from '../../src/spec/model.js';
import { formatProblem } from '../../src/spec/source.js';
import { parseYaml } from '../../src/spec/yaml.js';
import { makeSourceDoc } from '../../src/spec/yaml-located.js';

export const FILE = '/srv/app/compose.yaml';

export function context(over: Partial<NormalizeContext> = {}): NormalizeContext {
  return {
    projectName: 'app',
    workingDir: '/srv/app',
    composeFiles: [FILE],
    env: { HOME: '/home/dev' },
    activeProfiles: [],
    ...over,
  };
}

export interface Loaded {
  project: Project;
  errors: string[];
  warnings: string[];
}

export function load(text: string, over: Partial<NormalizeContext> = {}): Loaded {
  const { project, problems } = normalizeProject(makeSourceDoc(FILE, parseYaml(text, FILE)), context(over));
  return {
    project,
    errors: problems.filter((p) => p.severity === 'error').map(formatProblem),
    warnings: problems.filter((p) => p.severity === 'warning').map(formatProblem),
  };
}

/** One service "s" with the given YAML lines (indented under it); fails the test on any error. */
export function service(lines: string, over: Partial<NormalizeContext> = {}): Service {
  const text = `services:\n  s:\n    image: busybox\n${lines.replace(/^/gm, '    ')}\n`;
  const { project, errors } = load(text, over);
  if (errors.length > 0) throw new Error(`unexpected errors:\n${errors.join('\n')}`);
  const svc = project.services['s'];
  if (!svc) throw new Error('service s missing');
  return svc;
}

/** Errors for one service "s" with the given YAML lines. */
export function serviceErrors(lines: string): string[] {
  return load(`services:\n  s:\n    image: busybox\n${lines.replace(/^/gm, '    ')}\n`).errors;
}
