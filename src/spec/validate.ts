/**
 * Per-file schema validation, after interpolation and before merge.
 *
 * Fast path: the ajv standalone validator generated at build time (scripts/gen-validator.mjs writes
 * dist/spec/compose-validator.cjs), so the CLI neither loads ajv's compiler nor compiles the schema on
 * every run. Running from src (tests), the schema is compiled once with ajv instead. Only when a document
 * is invalid is the schema JSON read to explain the errors (validate-explain.ts).
 *
 * Measured on the 2-core CI machine (best of 12 cold `node` runs validating a 3-service file): loading the
 * standalone validator adds no measurable time over `node -e 0` (~200 ms there), while compiling the schema
 * at run time adds ~1.1 s. The standalone file is ~220 KB with inlineRefs off (340 KB inlined, slower to load).
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { SchemaExplainer, describeValue, type SchemaNode } from './validate-explain.js';
import { unsupportedWarnings } from './unsupported.js';
import type { KeyPath, SourceDoc, SpecProblem } from './source.js';
import { memoKey, type ValidationMemo } from './validate-memo.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
type CompiledValidator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

const SCHEMA_URL = new URL('../../schemas/compose.schema.json', import.meta.url);
const require = createRequire(import.meta.url);

let validator: CompiledValidator | undefined;
let schema: SchemaNode | undefined;

export function loadSchema(): SchemaNode {
  schema ??= JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as SchemaNode;
  return schema;
}

/** The ajv options shared by the build-time generator and the run-time fallback. */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true, messages: false } as const;

/**
 * The standalone validator, run as CommonJS through a vm.Script so that the V8 code cache the build made
 * beside it (scripts/gen-validator.mjs, same wrapper text) spares compiling it: a fifth of a cold
 * `config -q`. Without a usable cache V8 compiles it as `require` would. Throws when the file is absent.
 */
function standaloneValidator(): CompiledValidator {
  const file = fileURLToPath(STANDALONE_URL);
  const code = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // built without a cache
  }
  const script = new Script(`(function (module, exports, require) {${code}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const mod = { exports: {} as unknown };
  (script.runInThisContext() as (m: typeof mod, e: unknown, r: NodeJS.Require) => void)(mod, mod.exports, createRequire(file));
  return mod.exports as CompiledValidator;
}

const STANDALONE_URL = new URL('./compose-validator.cjs', import.meta.url);

let validatorIdentity: string | undefined;

/**
 * Which validator judges (for the memo): the standalone file's size, mtime and inode (a rebuild changes
 * them), else the schema file's, which the run-time fallback compiles.
 */
function validatorId(): string {
  if (validatorIdentity !== undefined) return validatorIdentity;
  for (const [kind, url] of [['standalone', STANDALONE_URL], ['schema', SCHEMA_URL]] as const) {
    try {
      const st = statSync(url);
      return (validatorIdentity = `${kind} ${st.size} ${st.mtimeMs} ${st.ino}`);
    } catch {
      // try the next
    }
  }
  return (validatorIdentity = 'none');
}

function compiledValidator(): CompiledValidator {
  if (validator) return validator;
  try {
    validator = standaloneValidator();
  } catch {
    const AjvClass = require('ajv') as { default: new (o: object) => AjvInstance };
    const ajv = new AjvClass.default(AJV_OPTIONS);
    ajv.addVocabulary(['expected']);
    validator = ajv.compile(loadSchema());
  }
  return validator;
}

interface AjvInstance {
  addVocabulary(words: string[]): void;
  compile(schema: object): CompiledValidator;
}

function pathFromPointer(pointer: string, data: unknown): KeyPath {
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let cur = data;
  for (const k of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string | number, unknown>)[k] : undefined;
  return cur;
}

/** Plain mapping of ajv's errors, used only if the explainer finds nothing (it and ajv should agree). */
function fromAjvErrors(doc: SourceDoc, errors: AjvError[]): SpecProblem[] {
  const seen = new Set<string>();
  const out: SpecProblem[] = [];
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue;
    const path = pathFromPointer(e.instancePath, doc.data);
    const extra = e.params['additionalProperty'];
    const message =
      typeof extra === 'string'
        ? `unknown key "${extra}"`
        : `found ${describeValue(valueAt(doc.data, path))}, expected: ${e.message ?? e.keyword}`;
    const key = `${e.instancePath}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position = typeof extra === 'string' ? doc.keyPositionOf([...path, extra]) : doc.positionOf(path);
    out.push({ severity: 'error', position, path, message });
  }
  return out;
}

/**
 * Every schema error of one file (located, one per place), then a warning per unsupported key. `memo`:
 * documents this validator found valid before (see validate-memo.ts); such a document is not validated again.
 */
export function validateDocument(doc: SourceDoc, memo?: ValidationMemo): SpecProblem[] {
  const key = memo === undefined ? undefined : memoKey(validatorId(), doc.data);
  const problems: SpecProblem[] = [];
  if (key === undefined || !memo!.has(key)) {
    const validate = compiledValidator();
    if (!validate(doc.data)) {
      const explained = new SchemaExplainer(loadSchema()).explain(doc);
      problems.push(...(explained.length > 0 ? explained : fromAjvErrors(doc, validate.errors ?? [])));
    } else if (key !== undefined) {
      memo!.add(key);
    }
  }
  problems.push(...unsupportedWarnings(doc));
  return problems;
}
