/**
 * The contracts every part may import: JSON Schemas, their TypeScript types and compiled ajv
 * validators. Validators are compiled once, on first use.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';

export * from './plan.js';

export type SchemaName = 'pipeline' | 'template' | 'plan' | 'report' | 'policy' | 'audit-report';
export const NAMES: SchemaName[] = ['pipeline', 'template', 'plan', 'report', 'policy', 'audit-report'];

/** Folder holding the `*.schema.json` files, from source (`schemas/`) or build (`dist/schemas/`). */
export function schemaDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'pipeline.schema.json'))) return dir;
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'pipeline.schema.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('pipewright: schemas folder not found beside the installed package');
}

/** The raw JSON Schema document. */
export function loadSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(schemaDir(), `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
}

const require = createRequire(import.meta.url);

/**
 * ajv itself, loaded on first use: the build's precompiled validators do without it, so most
 * commands never load it (about 25 ms of a CLI start).
 */
function ajvClass(): typeof Ajv {
  return (require('ajv') as { Ajv: typeof Ajv }).Ajv;
}

/** A fresh ajv instance configured the way pipewright uses it (strict schemas, formats). */
export function createAjv(opts: { allErrors?: boolean } = {}): Ajv {
  const addFormats = require('ajv-formats') as { default: (ajv: Ajv) => Ajv };
  const ajv = new (ajvClass())({
    allErrors: opts.allErrors ?? false,
    verbose: true,
    strict: false,
    allowUnionTypes: true,
    discriminator: true,
  });
  addFormats.default(ajv);
  return ajv;
}

let shared: { ajv: Ajv; validators: Map<SchemaName, ValidateFunction> } | undefined;

/** ajv options of the shared validators; the build's standalone code uses the same. */
export const VALIDATOR_OPTIONS = { allErrors: true, verbose: true, strict: false, allowUnionTypes: true, discriminator: true } as const;

/** Name of the standalone validators file the build writes beside this module. */
export const GENERATED_VALIDATORS = 'validators.generated.cjs';

/** sha256 over the schema files, so generated code is used only when it matches them. */
export function schemasHash(): string {
  const h = createHash('sha256');
  for (const n of NAMES) h.update(readFileSync(join(schemaDir(), `${n}.schema.json`)));
  return h.digest('hex');
}

let generated: Record<string, ValidateFunction> | null | undefined;

/** The build's precompiled validators (no ajv compile at start-up), when present and current. */
function loadGenerated(): Record<string, ValidateFunction> | null {
  if (generated !== undefined) return generated;
  generated = null;
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, GENERATED_VALIDATORS);
  if (!existsSync(file)) return generated;
  try {
    const mod = require(file) as Record<string, ValidateFunction> & { schemasHash?: string };
    if (mod.schemasHash === schemasHash()) generated = mod;
  } catch {
    generated = null;
  }
  return generated;
}

/** The compiled validator of a pipewright schema. */
export function validator(name: SchemaName): ValidateFunction {
  const pre = loadGenerated()?.[name];
  if (pre) return pre;
  if (!shared) {
    const ajv = new (ajvClass())(VALIDATOR_OPTIONS);
    for (const n of NAMES) ajv.addSchema(loadSchema(n));
    shared = { ajv, validators: new Map() };
  }
  let v = shared.validators.get(name);
  if (!v) {
    v = shared.ajv.getSchema(`https://pipewright.dev/schemas/${name}.schema.json`);
    if (!v) throw new Error(`schema ${name} did not compile`);
    shared.validators.set(name, v);
  }
  return v;
}

export type { ErrorObject };
export {
  evaluateValue,
  checkCondition,
  staticCondition,
  unwrapped,
  replaceInExpression,
  ConditionError,
  evaluateCondition,
} from './conditions.js';
export { testRegex, regexProblem } from './regex.js';
export { tokenize, type Tok } from './condition-tokens.js';
export { countCopies, itemCopies, matrixCopies, type StrategyCopy } from './strategy-copies.js';
