import { describe, expect, it } from 'vitest';
import { directoryProjectName, projectHint, type HintHost } from '../../src/cli/project-hint.js';

const host = (cwd: string, files: Record<string, string>): HintHost => ({
  cwd,
  read: (p) => (p.startsWith(`${cwd}/`) ? files[p.slice(cwd.length + 1)] : undefined),
  exists: (p) => p.startsWith(`${cwd}/`) && p.slice(cwd.length + 1) in files,
});
const plain = 'services:\n  web:\n    image: busybox\n    networks: [front]\nnetworks:\n  front:\n    name: my-front\n';

describe('directoryProjectName (bin/\'s hint when the project directory names the project)', () => {
  it('is the normalized name of the working directory holding the compose file', () => {
    expect(directoryProjectName(['up', '-d'], {}, host('/srv/My.App_1', { 'compose.yaml': plain }))).toBe('myapp_1');
    expect(directoryProjectName(['--progress', 'quiet', '--profile=x', 'up'], {}, host('/srv/app', { 'docker-compose.yml': plain }))).toBe('app');
    expect(directoryProjectName(['up'], {}, host('/srv/app', { 'compose.yaml': plain, 'compose.override.yaml': 'services:\n  web:\n    ports: ["80"]\n' }))).toBe('app');
  });
  it('is undefined when a rule above it may apply or the files are elsewhere', () => {
    const h = host('/srv/app', { 'compose.yaml': plain });
    expect(directoryProjectName(['-f', 'compose.yaml', 'up'], {}, h)).toBeUndefined();
    expect(directoryProjectName(['--file=compose.yaml', 'up'], {}, h)).toBeUndefined();
    expect(directoryProjectName(['--project-directory', '.', 'up'], {}, h)).toBeUndefined();
    expect(directoryProjectName(['--env-file', 'x.env', 'up'], {}, h)).toBeUndefined();
    expect(directoryProjectName(['up'], { COMPOSE_FILE: 'other.yaml' }, h)).toBeUndefined();
    expect(directoryProjectName(['up'], { COMPOSE_ENV_FILES: 'a.env' }, h)).toBeUndefined();
    expect(directoryProjectName(['up'], { COMPOSE_PROJECT_NAME: 'Bad' }, h)).toBeUndefined();
    expect(directoryProjectName(['up'], {}, host('/srv/app', { 'compose.yaml': plain, '.env': 'COMPOSE_PROJECT_NAME=x\n' }))).toBeUndefined();
    expect(directoryProjectName(['up'], {}, host('/srv/app', {}))).toBeUndefined(); // found in a parent, if anywhere
    expect(directoryProjectName(['up'], {}, host('/srv/...', { 'compose.yaml': plain }))).toBeUndefined(); // normalizes to nothing
  });
  it('is undefined when a file may set a top-level name, or its top level is not plain block style', () => {
    const at = (text: string, file = 'compose.yaml'): string | undefined =>
      directoryProjectName(['up'], {}, host('/srv/app', file === 'compose.yaml' ? { 'compose.yaml': text } : { 'compose.yaml': plain, [file]: text }));
    expect(at('name: other\nservices: {}\n')).toBeUndefined();
    expect(at('"name": other\n')).toBeUndefined();
    expect(at('# x\nservices: {}\nname: ${X}\n')).toBeUndefined();
    expect(at('{name: other, services: {}}\n')).toBeUndefined();
    expect(at('<<: *base\nservices: {}\n')).toBeUndefined();
    expect(at('  name: other\n  services: {}\n')).toBeUndefined();
    expect(at('--- {name: x}\n')).toBeUndefined();
    expect(at('name: other\n', 'compose.override.yml')).toBeUndefined();
    expect(at('# comment\n---\nservices: {}\n')).toBe('app');
  });
});

describe('projectHint', () => {
  it('takes -p and COMPOSE_PROJECT_NAME first, without looking at files', () => {
    const none = (): HintHost => {
      throw new Error('not needed');
    };
    expect(projectHint(['-p', 'given', 'up'], {}, none)).toBe('given');
    expect(projectHint(['up'], { COMPOSE_PROJECT_NAME: 'fromenv' }, none)).toBe('fromenv');
    expect(projectHint(['up'], {}, () => host('/srv/dir', { 'compose.yml': plain }))).toBe('dir');
    expect(projectHint(['-p', 'Bad', 'up'], {}, () => host('/srv/dir', { 'compose.yml': plain }))).toBeUndefined();
  });
});
