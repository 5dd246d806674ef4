/**
 * Project names as Compose: -p > COMPOSE_PROJECT_NAME > top-level `name:` > basename of the project
 * directory. Names given explicitly must already be valid (lowercase letters, digits, `_`, `-`, starting with
 * a letter or digit); the directory name is normalized instead (lowercased, other characters dropped).
 */
const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export function isValidProjectName(name: string): boolean {
  return VALID.test(name);
}

export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export const PROJECT_NAME_RULE =
  'must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number';
