// Build step: compile schemas/compose.schema.json into an ajv standalone validator (CommonJS), so that the
// CLI loads a plain function instead of ajv's compiler at every start. Output: dist/spec/compose-validator.cjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const code = standaloneCode.default(ajv, ajv.compile(schema));
const out = resolve(root, process.argv[2] ?? 'dist/spec/compose-validator.cjs');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
