// Property test: on mutated compose documents, the error explainer and ajv agree on validity, and every
// document ajv accepts normalizes and renders without throwing.
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { createRequire } from 'node:module';
import { loadSchema, validateDocument, AJV_OPTIONS } from '../../src/spec/validate.js';
import { SchemaExplainer } from '../../src/spec/validate-explain.js';
import { normalizeProject } from '../../src/spec/normalize.js';
import { renderProject } from '../../src/spec/render.js';
import { makeSourceDoc } from '../../src/spec/yaml-located.js';

const BASE = `
services:
  web:
    image: nginx
    build: {context: ., args: [A=1], labels: {a: b}}
    ports: ["8000-8002:80-82", {target: 80, published: "9000"}, 3000]
    expose: [1, "2/udp"]
    volumes: ["./a:/a:ro", "data:/d", {type: tmpfs, target: /t, tmpfs: {size: 1m, mode: 1777}}, {type: bind, source: /x, target: /y}]
    environment: {A: 1, B: null}
    labels: [a=b]
    depends_on: {db: {condition: service_healthy, required: false, restart: true}}
    command: echo hi
    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 2}
    deploy: {replicas: 2, resources: {limits: {memory: 1g, cpus: 1}}, restart_policy: {condition: any, delay: 1s}}
    networks: {front: {aliases: [w], ipv4_address: 10.0.0.2, priority: 3}}
    extra_hosts: ["a:1.1.1.1"]
    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}
    tmpfs: ["/r:size=1m"]
    stop_signal: term
    develop: {watch: [{action: sync, path: ., target: /x}]}
  db: {image: pg, profiles: [x], network_mode: host}
networks: {front: {ipam: {config: [{subnet: 10.0.0.0/24}]}}}
volumes: {data: {external: true}}
`;
const VALUES: unknown[] = [null, true, 0, -1, 1.5, 99999999, '', 'x', '0', '1m', ':', '/', 'a:b:c:d', [], ['x'], [1], {}, { a: null }, { target: 1 }, 'service:db', '~'];

type Path = (string | number)[];
function paths(v: unknown, p: Path = [], out: Path[] = []): Path[] {
  if (p.length > 0) out.push(p);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...p, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...p, k], out);
  return out;
}

describe('validation agreement and normalization robustness', () => {
  it('agrees with ajv and never throws on 200 seeded mutants', () => {
    const AjvClass = (createRequire(import.meta.url)('ajv') as { default: new (o: object) => { addVocabulary(w: string[]): void; compile(s: object): (d: unknown) => boolean } }).default;
    const ajv = new AjvClass(AJV_OPTIONS);
    ajv.addVocabulary(['expected']);
    const ajvValid = ajv.compile(loadSchema());
    const explainer = new SchemaExplainer(loadSchema());
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 200; i++) {
      const doc = yaml.load(BASE) as Record<string, unknown>;
      for (let m = 0; m < 1 + rnd(3); m++) {
        const all = paths(doc);
        const at = all[rnd(all.length)] as Path;
        let parent: unknown = doc;
        for (const k of at.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k];
        (parent as Record<string | number, unknown>)[at[at.length - 1] as string | number] = structuredClone(VALUES[rnd(VALUES.length)]);
      }
      const source = makeSourceDoc('/f.yaml', doc);
      const valid = ajvValid(doc);
      expect(explainer.explain(source).length === 0).toBe(valid);
      const errors = validateDocument(source).filter((p) => p.severity === 'error');
      expect(errors.length === 0).toBe(valid);
      if (!valid) {
        rejected++;
        continue;
      }
      accepted++;
      const ctx = { projectName: 'p', workingDir: '/p', composeFiles: ['/f.yaml'], env: {}, activeProfiles: [] };
      const { project } = normalizeProject(source, ctx);
      expect(typeof renderProject(project)['name']).toBe('string');
    }
    expect(accepted).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
  });
});
