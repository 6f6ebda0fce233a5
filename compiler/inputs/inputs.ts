/**
 * Typed template inputs (pipewright extension): declared under `inputs:` in a template,
 * given under `template.inputs` at the reference. Values are checked against their
 * declaration (`input-check.ts`) before any rendering happens.
 */
import { Codes, LocatedError, type DiagnosticBag, type Location } from '../diagnostics.js';
import { checkInputValue } from './input-check.js';
import { hasOwn, ownValue, setOwn } from '../own.js';
import { regexProblem } from '../../schemas/index.js';
import { sourcePositions } from '../harness-yaml.js';
import type { Positions } from '../yaml/index.js';

import type { InputDecl } from './input-decl.js';
export type { InputDecl, InputType } from './input-decl.js';

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
  positions: Positions,
): Record<string, unknown> | undefined {
  const declared = decls ?? {};
  const values: Record<string, unknown> = {};
  let ok = true;
  const refAt = positions.at(refNode, 'inputs', positions.of(refNode, fallback));
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given))) {
    bag.error(Codes.INPUT_TYPE, `inputs of ${templateName} must be a mapping`, refAt);
    return undefined;
  }
  const g = (given ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(g)) {
    const at = positions.at(g, name, refAt);
    const decl = ownValue(declared, name) as InputDecl | undefined;
    if (!decl) {
      const known = Object.keys(declared);
      bag.error(
        Codes.INPUT_UNKNOWN,
        `unknown input '${name}' for ${templateName}${known.length ? ` (declared: ${known.join(', ')})` : ' (it declares no inputs)'}`,
        at,
      );
      ok = false;
      continue;
    }
    if (!isExpression(value)) {
      const problem = checkInputValue(decl, value);
      if (problem) {
        // A regex the template declares and RE2 refuses is the template's problem: located there.
        const where = problem.inDeclaration ? positions.at(decl, 'regex', at) : at;
        bag.error(problem.code, `input '${name}': ${problem.message}`, where);
        ok = false;
        continue;
      }
    }
    setOwn(values, name, value);
  }
  for (const [name, decl] of Object.entries(declared)) {
    if (hasOwn(values, name) || hasOwn(g, name)) continue;
    if (decl.default !== undefined) setOwn(values, name, decl.default);
    else if (decl.required === false) setOwn(values, name, null);
    else if (decl.type === 'steps' || decl.type === 'stages') setOwn(values, name, []);
    else {
      bag.error(Codes.INPUT_MISSING, `missing required input '${name}' (${decl.type}) for ${templateName}`, refAt);
      ok = false;
    }
  }
  return ok ? values : undefined;
}

/**
 * Problems of a template's own declarations, located in the template: a regex RE2 refuses
 * (PW3017), a default that its declaration refuses (type, allowedValues, regex). The
 * registry runs it before publishing; expressions (`<+...>`) as defaults are left alone.
 */
export function checkDeclaredDefaults(
  decls: Record<string, InputDecl>,
  fallback: Location,
  bag: DiagnosticBag,
  positions: Positions = sourcePositions,
): void {
  for (const [name, decl] of Object.entries(decls)) {
    if (!decl || typeof decl !== 'object') continue;
    const at = positions.of(decl, fallback);
    if (typeof decl.regex === 'string') {
      const problem = regexProblem(decl.regex);
      if (problem) {
        bag.error(Codes.REGEX_UNSUPPORTED, `input '${name}': regex ${decl.regex} ${problem}`, positions.at(decl, 'regex', at));
        continue;
      }
    }
    if (decl.default === undefined || isExpression(decl.default) || (decl.default === null && decl.required === false)) continue;
    const problem = checkInputValue(decl, decl.default);
    if (problem) bag.error(problem.code, `input '${name}': default ${problem.message}`, positions.at(decl, 'default', at));
  }
}

/** Throws a located error when a template's declarations themselves are unusable. */
export function checkDeclarations(decls: unknown, at: Location): Record<string, InputDecl> {
  if (decls === undefined || decls === null) return {};
  if (typeof decls !== 'object' || Array.isArray(decls)) throw new LocatedError(Codes.SCHEMA, 'inputs must be a mapping', at);
  return decls as Record<string, InputDecl>;
}
