import { describe, expect, it } from 'vitest';
import { mergeDocs } from '../../src/spec/merge.js';
import { parseYaml } from '../../src/spec/yaml.js';
import { makeSourceDoc } from '../../src/spec/yaml-located.js';

const A = '/p/compose.yaml';
const B = '/p/compose.override.yaml';
const web = (d: unknown): Record<string, unknown> => (d as { services: { web: Record<string, unknown> } }).services.web;
const merge = (a: string, b: string): unknown => mergeDocs(mergeDocs(undefined, parseYaml(a, A)), parseYaml(b, B));

describe('Compose merge rules', () => {
  it('maps merge recursively and scalars are replaced', () => {
    const m = merge('services:\n  web:\n    image: a\n    restart: always\n', 'services:\n  web:\n    image: b\n  db:\n    image: pg\n');
    expect(m).toEqual({ services: { web: { image: 'b', restart: 'always' }, db: { image: 'pg' } } });
  });

  it('command, entrypoint and healthcheck.test are replaced whole', () => {
    const m = merge(
      'services:\n  web:\n    command: [a, b]\n    entrypoint: [x]\n    healthcheck: {test: [CMD, a], interval: 5s}\n',
      'services:\n  web:\n    command: [c]\n    entrypoint: y\n    healthcheck: {test: [CMD, b]}\n',
    );
    expect(web(m)).toEqual({ command: ['c'], entrypoint: 'y', healthcheck: { test: ['CMD', 'b'], interval: '5s' } });
  });

  it('environment and labels merge by key across list and map forms', () => {
    const m = merge(
      'services:\n  web:\n    environment: [A=1, B=1, C]\n    labels: {x: "1"}\n',
      'services:\n  web:\n    environment: {B: 2, D: 4}\n    labels: [y=2, x=3]\n',
    );
    expect(web(m).environment).toEqual({ A: '1', B: 2, C: null, D: 4 });
    expect(web(m).labels).toEqual({ x: '3', y: '2' });
  });

  it('ports are concatenated and deduplicated; volumes merge by container target', () => {
    const m = merge(
      'services:\n  web:\n    ports: ["80:80", "443:443"]\n    volumes: ["./a:/data", "logs:/logs:ro"]\n',
      'services:\n  web:\n    ports: ["80:80", "8080:8080"]\n    volumes: ["./b:/data", {type: volume, source: cache, target: /cache}]\n',
    );
    expect(web(m).ports).toEqual(['80:80', '443:443', '8080:8080']);
    expect(web(m).volumes).toEqual(['./b:/data', 'logs:/logs:ro', { type: 'volume', source: 'cache', target: '/cache' }]);
  });

  it('plain lists are concatenated without duplicates (dns, cap_add, expose, secrets by target)', () => {
    const m = merge(
      'services:\n  web:\n    dns: 8.8.8.8\n    cap_add: [NET_ADMIN]\n    expose: ["80"]\n    secrets: [a]\n',
      'services:\n  web:\n    dns: [1.1.1.1, 8.8.8.8]\n    cap_add: [NET_ADMIN, SYS_TIME]\n    expose: ["80", "81"]\n    secrets: [a, {source: b, target: c}]\n',
    );
    expect(web(m)).toMatchObject({ dns: ['8.8.8.8', '1.1.1.1'], cap_add: ['NET_ADMIN', 'SYS_TIME'], expose: ['80', '81'], secrets: ['a', { source: 'b', target: 'c' }] });
  });

  it('depends_on and networks in list form merge with map form', () => {
    const m = merge(
      'services:\n  web:\n    depends_on: [db]\n    networks: [front]\n',
      'services:\n  web:\n    depends_on: {cache: {condition: service_healthy}}\n    networks: {back: {aliases: [w]}}\n',
    );
    expect(web(m).depends_on).toEqual({ db: { condition: 'service_started', required: true }, cache: { condition: 'service_healthy' } });
    expect(web(m).networks).toEqual({ front: null, back: { aliases: ['w'] } });
  });

  it('build as a string merges with build as a map; logging with another driver is replaced', () => {
    const m = merge(
      'services:\n  web:\n    build: ./app\n    logging: {driver: json-file, options: {max-size: 1m}}\n',
      'services:\n  web:\n    build: {target: dev}\n    logging: {driver: syslog}\n',
    );
    expect(web(m).build).toEqual({ context: './app', target: 'dev' });
    expect(web(m).logging).toEqual({ driver: 'syslog' });
  });

  it('!reset removes and !override replaces without merging', () => {
    const m = merge(
      'services:\n  web:\n    image: a\n    ports: ["80:80"]\n    environment: {A: 1, B: 2}\n    dns: [1.1.1.1]\n',
      'services:\n  web:\n    ports: !reset []\n    environment: !override {C: 3}\n    dns: !reset null\n',
    );
    expect(web(m)).toEqual({ image: 'a', environment: { C: 3 } });
  });

  it('extra_hosts lists are concatenated; a map form merges by host name', () => {
    const lists = merge('services:\n  web:\n    extra_hosts: ["a:1.1.1.1"]\n', 'services:\n  web:\n    extra_hosts: ["b:2.2.2.2", "a:1.1.1.1"]\n');
    expect(web(lists).extra_hosts).toEqual(['a:1.1.1.1', 'b:2.2.2.2']);
    const mixed = merge('services:\n  web:\n    extra_hosts: ["a:1.1.1.1", "b=3.3.3.3"]\n', 'services:\n  web:\n    extra_hosts: {a: 9.9.9.9}\n');
    expect(web(mixed).extra_hosts).toEqual({ a: '9.9.9.9', b: '3.3.3.3' });
  });

  it('a null service in the override keeps the base service', () => {
    expect(web(merge('services:\n  web:\n    image: a\n', 'services:\n  web:\n'))).toEqual({ image: 'a' });
  });

  it('positions follow the winning value', () => {
    const m = merge('services:\n  web:\n    image: a\n    restart: always\n', 'services:\n  web:\n\n    image: b\n');
    const doc = makeSourceDoc(A, m);
    expect(doc.positionOf(['services', 'web', 'image'])).toEqual({ file: B, line: 4, col: 12 });
    expect(doc.positionOf(['services', 'web', 'restart'])).toEqual({ file: A, line: 4, col: 14 });
  });

  it('does not change its inputs', () => {
    const a = parseYaml('services:\n  web:\n    ports: ["1:1"]\n', A);
    const before = JSON.stringify(a);
    mergeDocs(a, parseYaml('services:\n  web:\n    ports: ["2:2"]\n', B));
    expect(JSON.stringify(a)).toBe(before);
  });
});
