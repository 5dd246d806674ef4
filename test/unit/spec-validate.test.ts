import { describe, expect, it } from 'vitest';
import { validateDocument } from '../../src/spec/validate.js';
import { parseYaml } from '../../src/spec/yaml.js';
import { makeSourceDoc } from '../../src/spec/yaml-located.js';
import { formatProblem, type SpecProblem } from '../../src/spec/source.js';

const FILE = '/p/compose.yaml';

function check(yamlText: string): SpecProblem[] {
  return validateDocument(makeSourceDoc(FILE, parseYaml(yamlText, FILE)));
}
const errors = (text: string): string[] => check(text).filter((p) => p.severity === 'error').map(formatProblem);
const warnings = (text: string): string[] => check(text).filter((p) => p.severity === 'warning').map(formatProblem);

describe('validateDocument', () => {
  it('accepts a realistic file with short and long syntaxes', () => {
    const text = `
name: shop
services:
  web:
    image: nginx:1.27
    ports: ["8080:80", 443, {target: 9000, published: "9000", protocol: udp}]
    volumes: ["./html:/usr/share/nginx/html:ro", {type: tmpfs, target: /tmp, tmpfs: {size: 64m}}]
    environment: {A: 1, B: "x", C: null, D: true}
    depends_on: {db: {condition: service_healthy}}
    deploy: {replicas: 2, resources: {limits: {cpus: "0.5", memory: 512M}}}
    healthcheck: {test: ["CMD", "true"], interval: 1m30s, retries: 3}
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}
    x-custom: 1
    x-tscompose: {lb: least-connections}
  db:
    image: postgres
    command: postgres -c fsync=off
    networks: {back: {aliases: [database]}}
networks: {back: {driver: bridge, ipam: {config: [{subnet: 172.28.0.0/16}]}}}
volumes: {data: {external: true}}
x-anchors: {a: 1}
`;
    expect(check(text)).toEqual([]);
  });

  it('reports a wrong type with position, path, found and expected', () => {
    const text = 'services:\n  web:\n    image: nginx\n    ports:\n      - true\n';
    expect(errors(text)).toEqual([
      `${FILE}:5:9: services.web.ports[0]: found boolean true, expected a port string or number, or a mapping with target`,
    ]);
  });

  it('suggests the closest key for a misspelled one, at the key position', () => {
    const text = 'services:\n  web:\n    imgae: nginx\n';
    expect(errors(text)).toEqual([`${FILE}:3:5: services.web: unknown key "imgae" (did you mean "image"?)`]);
  });

  it('reports an unknown key without a suggestion when nothing is close', () => {
    expect(errors('services:\n  web:\n    image: a\n    zzzzzzzz: 1\n')).toEqual([
      `${FILE}:4:5: services.web: unknown key "zzzzzzzz"`,
    ]);
  });

  it('reports every error of the file at once', () => {
    const text = [
      'services:',
      '  web:',
      '    image: 3',
      '    restart: sometimes',
      '    mem_limit: lots',
      '    enviroment: {A: 1}',
      '    healthcheck: {interval: soon}',
      'volumes:',
      '  data: {driver: local, externel: true}',
      '',
    ].join('\n');
    expect(errors(text)).toEqual([
      `${FILE}:3:12: services.web.image: found number 3, expected an image reference such as nginx:1.27`,
      `${FILE}:4:14: services.web.restart: found string "sometimes", expected "no", "always", "on-failure[:N]" or "unless-stopped"`,
      `${FILE}:5:16: services.web.mem_limit: found string "lots", expected a byte size such as 512m, 1g or 1048576`,
      `${FILE}:6:5: services.web: unknown key "enviroment" (did you mean "environment"?)`,
      `${FILE}:7:29: services.web.healthcheck.interval: found string "soon", expected a duration such as 10s, 1m30s or 500ms`,
      `${FILE}:9:25: volumes.data: unknown key "externel" (did you mean "external"?)`,
    ]);
  });

  it('collapses a oneOf cascade into the branch that fits the value', () => {
    const text = 'services:\n  web:\n    image: a\n    ports:\n      - {target: 80, publishd: 8080}\n';
    expect(errors(text)).toEqual([`${FILE}:5:22: services.web.ports[0]: unknown key "publishd" (did you mean "published"?)`]);
  });

  it('gives one message when no branch of a oneOf fits', () => {
    const text = 'services:\n  web:\n    image: a\n    environment: 5\n';
    expect(errors(text)).toEqual([
      `${FILE}:4:18: services.web.environment: found number 5, expected a mapping or a list of "KEY=VALUE" strings`,
    ]);
  });

  it('reports enum violations and missing required keys', () => {
    const text = [
      'services:',
      '  web:',
      '    image: a',
      '    depends_on: {db: {condition: service_ready}}',
      '    volumes: [{source: ./x}]',
      '',
    ].join('\n');
    const out = errors(text);
    expect(out).toContain(
      `${FILE}:4:34: services.web.depends_on.db.condition: found string "service_ready", expected one of "service_started", "service_healthy", "service_completed_successfully"`,
    );
    expect(out).toContain(`${FILE}:5:15: services.web.volumes[0]: missing required keys "type", "target"`);
    expect(out).toHaveLength(2);
  });

  it('suggests the closest allowed value for a misspelled enum value', () => {
    expect(errors('services:\n  web:\n    image: a\n    volumes: [{type: bnd, source: ./x, target: /x}]\n')).toEqual([
      `${FILE}:4:22: services.web.volumes[0].type: found string "bnd", expected one of "bind", "volume", "tmpfs", "cluster", "npipe", "image" (did you mean "bind"?)`,
    ]);
  });

  it('suggests a close word for pattern-checked strings too', () => {
    expect(errors('services:\n  web:\n    image: a\n    restart: allways\n')).toEqual([
      `${FILE}:4:14: services.web.restart: found string "allways", expected "no", "always", "on-failure[:N]" or "unless-stopped" (did you mean "always"?)`,
    ]);
  });

  it('reports duplicates in unique lists', () => {
    expect(errors('services:\n  web:\n    image: a\n    cap_add: [NET_ADMIN, NET_ADMIN]\n')).toEqual([
      `${FILE}:4:26: services.web.cap_add[1]: duplicate entry string "NET_ADMIN" (already at index 0), expected unique entries`,
    ]);
  });

  it('accepts interpolated strings for booleans and numbers, refuses non-boolean words', () => {
    expect(errors('services:\n  web:\n    image: a\n    init: "true"\n    scale: "2"\n    cpus: "1.5"\n')).toEqual([]);
    expect(errors('services:\n  web:\n    image: a\n    init: maybe\n')).toEqual([
      `${FILE}:4:11: services.web.init: found string "maybe", expected a boolean (true or false)`,
    ]);
  });

  it('rejects a top-level key that is not Compose, with a suggestion', () => {
    expect(errors('service:\n  web: {image: a}\n')).toEqual([`${FILE}:1:1: (root): unknown key "service" (did you mean "services"?)`]);
  });

  it('warns (and does not fail) for valid Compose keys tscompose does not support', () => {
    const text = [
      'services:',
      '  web:',
      '    image: a',
      '    secrets: [token]',
      '    gpus: all',
      '    deploy: {mode: global, placement: {constraints: []}}',
      'secrets:',
      '  token: {file: ./token.txt}',
      '',
    ].join('\n');
    expect(errors(text)).toEqual([]);
    const w = warnings(text);
    expect(w).toContain(`${FILE}:7:1: secrets: "secrets" is valid Compose but not supported by tscompose yet; it is ignored`);
    expect(w).toContain(
      `${FILE}:4:5: services.web.secrets: "secrets" is valid Compose but not supported by tscompose yet; it is ignored`,
    );
    expect(w).toContain(`${FILE}:5:5: services.web.gpus: "gpus" is valid Compose but not supported by tscompose yet; it is ignored`);
    expect(w.some((m) => m.includes('services.web.deploy.mode: "mode: global"'))).toBe(true);
    expect(w.some((m) => m.includes('services.web.deploy.placement: "placement"'))).toBe(true);
    expect(w).toHaveLength(5);
  });

  it('rejects a non-mapping document', () => {
    expect(errors('- a\n- b\n')).toEqual([
      `${FILE}:1:1: (root): found a list, expected a mapping of top-level keys (services, networks, volumes, ...)`,
    ]);
  });
});

describe('schema coverage', () => {
  it('every service key of the schema is normalized, resolved by the loader, or warned about as unsupported', async () => {
    const { loadSchema } = await import('../../src/spec/validate.js');
    const { SUPPORTED_SERVICE_KEYS, LOADER_KEYS } = await import('../../src/spec/normalize-service.js');
    const { UNSUPPORTED_KEYS } = await import('../../src/spec/unsupported.js');
    const service = loadSchema().definitions?.['service']?.properties ?? {};
    const unsupported = UNSUPPORTED_KEYS.filter((k) => k.path.length === 3 && k.path[0] === 'services').map((k) => k.path[2]);
    const accounted = new Set<string>([...SUPPORTED_SERVICE_KEYS, ...LOADER_KEYS, ...(unsupported as string[])]);
    expect(Object.keys(service).filter((k) => !accounted.has(k))).toEqual([]);
    expect([...SUPPORTED_SERVICE_KEYS].filter((k) => !(k in service))).toEqual([]);
    expect(Object.keys(service).length).toBeGreaterThan(80);
  });
});
