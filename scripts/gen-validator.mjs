// Build step: compile schemas/compose.schema.json into an ajv standalone validator (CommonJS), so that the
// CLI loads a plain function instead of ajv's compiler at every start. Output: dist/spec/compose-validator.cjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = JSON.parse(readFileSync(join(root, 'schemas/compose.schema.json'), 'utf8'));
// Keep in step with AJV_OPTIONS in src/spec/validate.ts. No ajv messages: validate-explain.ts writes them;
// no inlined $refs: a smaller file that loads faster.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, messages: false, inlineRefs: false, code: { source: true } });
ajv.addVocabulary(['expected']);
// ASCII only (the schema's "µs" written \u00b5s, the same in the strings and regular expressions it sits
// in): one other character makes Node read the whole file through its slow UTF-8 path at every load
const code = standaloneCode.default(ajv, ajv.compile(schema)).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const out = resolve(root, process.argv[2] ?? 'dist/spec/compose-validator.cjs');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);

// A V8 code cache beside it (compose-validator.cjs.cache), made after validating a typical file so that the
// functions a load runs are in it: src/spec/validate.ts then neither compiles the ~200 KB file nor its
// validators on a cold start. Same wrapper text as validate.ts (V8 checks the source); a cache made by
// another Node is rejected by V8 and the file compiled as usual.
const WRAP = ['(function (module, exports, require) {', '\n})'];
const script = new Script(`${WRAP[0]}${code}${WRAP[1]}`, { filename: out });
const mod = { exports: {} };
script.runInThisContext()(mod, mod.exports, createRequire(import.meta.url));
const sample = {
  name: 'x', services: {
    web: { image: 'nginx', ports: ['80:80', { target: 81, published: '8081' }], depends_on: { db: { condition: 'service_healthy' } }, environment: { A: 'b' },
      volumes: ['data:/data', { type: 'bind', source: '.', target: '/src' }], networks: ['front'], healthcheck: { test: ['CMD', 'true'], interval: '10s' },
      deploy: { replicas: 2, resources: { limits: { memory: '256m', cpus: '0.5' } } }, command: ['a'], restart: 'always', labels: { a: 'b' } },
    db: { image: 'postgres', environment: ['A=b'], depends_on: ['cache'], env_file: ['.env'] }, cache: { image: 'redis', build: '.' },
  },
  networks: { front: {}, back: { internal: true } }, volumes: { data: {} },
};
mod.exports(sample);
writeFileSync(`${out}.cache`, script.createCachedData());
