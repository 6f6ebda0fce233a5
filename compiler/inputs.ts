/**
 * Typed template inputs (pipewright extension): declared under `inputs:` in a template,
 * given under `template.inputs` at the reference. Each declaration compiles to a small ajv
 * schema (cached by its text); values are checked before any rendering happens.
 */
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../schemas/index.js';
import { Codes, LocatedError, type DiagnosticBag, type Location } from './diagnostics.js';
import { sourcePositions } from './yaml-reader.js';

export type InputType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'steps' | 'stages';

/** One declared input. An input without `default` is required. */
export interface InputDecl {
  type: InputType;
  default?: unknown;
  allowedValues?: unknown[];
  regex?: string;
  description?: string;
  required?: boolean;
}

const JSON_TYPE: Record<InputType, string> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  array: 'array',
  object: 'object',
  steps: 'array',
  stages: 'array',
};

let ajvInstance: ReturnType<typeof createAjv> | undefined;
/** Made on first use: ajv loads only for commands that compile schemas at run time. */
const ajv = () => (ajvInstance ??= createAjv({ allErrors: false }));
const cache = new Map<string, ValidateFunction>();

function validatorFor(decl: InputDecl): ValidateFunction {
  const schema: Record<string, unknown> = { type: JSON_TYPE[decl.type] ?? 'string' };
  if (decl.type === 'steps') schema['items'] = { type: 'object', minProperties: 1, maxProperties: 1 };
  if (decl.type === 'stages') schema['items'] = { type: 'object', minProperties: 1, maxProperties: 1 };
  if (decl.allowedValues) schema['enum'] = decl.allowedValues;
  if (decl.regex !== undefined && decl.type === 'string') schema['pattern'] = decl.regex;
  const key = JSON.stringify(schema);
  let v = cache.get(key);
  if (!v) {
    v = ajv().compile(schema);
    cache.set(key, v);
  }
  return v;
}

/** True when the value is an expression left for later (`<+pipeline.variables.x>`). */
function isExpression(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith('<+');
}

/**
 * Checks the given values against the declarations and returns every declared input's value
 * (given, else default). Problems go to `bag`; returns undefined when any was an error.
 *
 * @param refNode the reference's `template:` object (for locations)
 */
export function resolveTypedInputs(
  decls: Record<string, InputDecl> | null | undefined,
  given: unknown,
  refNode: object,
  fallback: Location,
  templateName: string,
  bag: DiagnosticBag,
): Record<string, unknown> | undefined {
  const declared = decls ?? {};
  const values: Record<string, unknown> = {};
  let ok = true;
  const refAt = sourcePositions.at(refNode, 'inputs', sourcePositions.of(refNode, fallback));
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given))) {
    bag.error(Codes.INPUT_TYPE, `inputs of ${templateName} must be a mapping`, refAt);
    return undefined;
  }
  const g = (given ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(g)) {
    const at = sourcePositions.at(g, name, refAt);
    const decl = declared[name];
    if (!decl) {
      const known = Object.keys(declared);
      bag.error(Codes.INPUT_UNKNOWN, `unknown input '${name}' for ${templateName}${known.length ? ` (declared: ${known.join(', ')})` : ' (it declares no inputs)'}`, at);
      ok = false;
      continue;
    }
    if (!isExpression(value)) {
      const problem = check(decl, value);
      if (problem) {
        bag.error(problem.code, `input '${name}': ${problem.message}`, at);
        ok = false;
        continue;
      }
    }
    values[name] = value;
  }
  for (const [name, decl] of Object.entries(declared)) {
    if (name in values || name in g) continue;
    if (decl.default !== undefined) values[name] = decl.default;
    else if (decl.required === false) values[name] = null;
    else if (decl.type === 'steps' || decl.type === 'stages') values[name] = [];
    else {
      bag.error(Codes.INPUT_MISSING, `missing required input '${name}' (${decl.type}) for ${templateName}`, refAt);
      ok = false;
    }
  }
  return ok ? values : undefined;
}

function check(decl: InputDecl, value: unknown): { code: typeof Codes[keyof typeof Codes]; message: string } | undefined {
  const v = validatorFor(decl);
  if (v(value)) return undefined;
  const e = v.errors?.[0];
  if (!e) return undefined;
  if (e.keyword === 'enum') return { code: Codes.INPUT_NOT_ALLOWED, message: `'${String(value)}' is not one of ${(decl.allowedValues ?? []).map(String).join(', ')}` };
  if (e.keyword === 'pattern') return { code: Codes.INPUT_REGEX, message: `'${String(value)}' does not match ${decl.regex}` };
  if (e.instancePath) return { code: Codes.INPUT_TYPE, message: `item ${e.instancePath} ${e.message ?? 'is invalid'} (a ${decl.type} input takes a list of single-key elements)` };
  return { code: Codes.INPUT_TYPE, message: `expected ${decl.type}, got ${describe(value)}` };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Throws a located error when a template's declarations themselves are unusable. */
export function checkDeclarations(decls: unknown, at: Location): Record<string, InputDecl> {
  if (decls === undefined || decls === null) return {};
  if (typeof decls !== 'object' || Array.isArray(decls)) throw new LocatedError(Codes.SCHEMA, 'inputs must be a mapping', at);
  return decls as Record<string, InputDecl>;
}
