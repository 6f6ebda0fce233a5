/**
 * The check of one typed input value against its declaration, written out by hand: it asks
 * what the JSON Schema `{type, enum, pattern, items}` of the declaration would ask, in the
 * order ajv asks it (type, then allowedValues, then the regex or the list's items), without
 * compiling a schema — ajv's first compile costs a fifth of a cold compile.
 * `test/compiler/input-check.test.ts` holds it to ajv's answers. One difference by design:
 * the regex is matched by RE2 (`regex.ts`), in linear time, and a pattern RE2 refuses is
 * PW3017, a problem of the declaration rather than of the value.
 */
import { Codes } from '../diagnostics.js';
import type { InputDecl } from './input-decl.js';
import { testRegex } from '../../schemas/index.js';

export interface InputProblem {
  code: typeof Codes.INPUT_TYPE | typeof Codes.INPUT_NOT_ALLOWED | typeof Codes.INPUT_REGEX | typeof Codes.REGEX_UNSUPPORTED;
  message: string;
  /** Set when the declaration's regex itself is refused: the problem is the template's. */
  inDeclaration?: boolean;
}

/** The problem with `value` for `decl`, or undefined when it is acceptable. */
export function checkInputValue(decl: InputDecl, value: unknown): InputProblem | undefined {
  if (!hasType(decl.type, value)) return { code: Codes.INPUT_TYPE, message: `expected ${decl.type}, got ${describe(value)}` };
  if (decl.allowedValues && !decl.allowedValues.some((a) => deepEqual(a, value))) {
    return { code: Codes.INPUT_NOT_ALLOWED, message: `'${String(value)}' is not one of ${decl.allowedValues.map(String).join(', ')}` };
  }
  if (decl.regex !== undefined && decl.type === 'string') {
    const r = testRegex(String(decl.regex), value as string);
    if ('refused' in r) {
      return r.refused === 'pattern'
        ? { code: Codes.REGEX_UNSUPPORTED, message: `regex ${decl.regex} ${r.reason}`, inDeclaration: true }
        : { code: Codes.INPUT_REGEX, message: `${r.reason} (regex ${decl.regex})` };
    }
    if (!r.matched) return { code: Codes.INPUT_REGEX, message: `'${String(value)}' does not match ${decl.regex}` };
  }
  if ((decl.type === 'steps' || decl.type === 'stages') && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const why =
        item === null || typeof item !== 'object' || Array.isArray(item)
          ? 'must be object'
          : Object.keys(item).length < 1
            ? 'must NOT have fewer than 1 properties'
            : Object.keys(item).length > 1
              ? 'must NOT have more than 1 properties'
              : undefined;
      if (why) return { code: Codes.INPUT_TYPE, message: `item /${i} ${why} (a ${decl.type} input takes a list of single-key elements)` };
    }
  }
  return undefined;
}

/** JSON Schema's types: numbers include NaN and the infinities (as ajv's do); lists are not objects. */
function hasType(type: InputDecl['type'], v: unknown): boolean {
  switch (type) {
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
    case 'steps':
    case 'stages':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    default:
      return typeof v === 'string';
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
