/**
 * Typed template inputs (pipewright extension): declared under `inputs:` in a template,
 * given under `template.inputs` at the reference. Values are checked against their
 * declaration (`input-check.ts`) before any rendering happens.
 */
import { Codes, LocatedError, type DiagnosticBag, type Location } from './diagnostics.js';
import { checkInputValue } from './input-check.js';
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
      const problem = checkInputValue(decl, value);
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

/** Throws a located error when a template's declarations themselves are unusable. */
export function checkDeclarations(decls: unknown, at: Location): Record<string, InputDecl> {
  if (decls === undefined || decls === null) return {};
  if (typeof decls !== 'object' || Array.isArray(decls)) throw new LocatedError(Codes.SCHEMA, 'inputs must be a mapping', at);
  return decls as Record<string, InputDecl>;
}
