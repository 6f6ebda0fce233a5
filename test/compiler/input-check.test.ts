/**
 * The hand-written input check against ajv, which it replaced: for every declaration shape
 * and many values, the same verdict and the same kind of problem (code), with the ajv-based
 * check of before as the oracle.
 */
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { Codes } from '../../compiler/diagnostics.js';
import { checkInputValue } from '../../compiler/inputs/input-check.js';
import type { InputDecl } from '../../compiler/inputs/inputs.js';

const ajv = new Ajv({ allErrors: false, verbose: true, strict: false, allowUnionTypes: true });
const JSON_TYPE: Record<string, string> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  array: 'array',
  object: 'object',
  steps: 'array',
  stages: 'array',
};

/** The ajv-based check pipewright used before: the schema of a declaration, and its first error's code. */
function oracle(decl: InputDecl, value: unknown): string | undefined {
  const schema: Record<string, unknown> = { type: JSON_TYPE[decl.type] ?? 'string' };
  if (decl.type === 'steps' || decl.type === 'stages') schema['items'] = { type: 'object', minProperties: 1, maxProperties: 1 };
  if (decl.allowedValues) schema['enum'] = decl.allowedValues;
  if (decl.regex !== undefined && decl.type === 'string') schema['pattern'] = decl.regex;
  const v = ajv.compile(schema);
  if (v(value)) return undefined;
  const e = v.errors![0]!;
  if (e.keyword === 'enum') return Codes.INPUT_NOT_ALLOWED;
  if (e.keyword === 'pattern') return Codes.INPUT_REGEX;
  return Codes.INPUT_TYPE;
}

const DECLS: InputDecl[] = [
  { type: 'string' },
  { type: 'number' },
  { type: 'boolean' },
  { type: 'array' },
  { type: 'object' },
  { type: 'steps' },
  { type: 'stages' },
  { type: 'string', allowedValues: ['debug', 'info', 'warn'] },
  { type: 'string', regex: '^[a-z]+-\\d+$' },
  { type: 'string', regex: '^a', allowedValues: ['a1', 'b1'] },
  { type: 'string', regex: '^\\p{Lu}' },
  { type: 'number', allowedValues: [1, 2, 3] },
  { type: 'array', allowedValues: [[1, 2], ['a']] },
  { type: 'object', allowedValues: [{ a: 1 }, { b: [1, { c: null }] }] },
  { type: 'steps', allowedValues: [[{ step: {} }]] },
  { type: 'boolean', allowedValues: [true] },
];

const VALUES: unknown[] = [
  'x',
  '',
  'info',
  'abc-12',
  'ABC-12',
  'a1',
  'b1',
  'a9',
  'Émile',
  'émile',
  '1',
  0,
  1,
  2,
  -1.5,
  NaN,
  Infinity,
  true,
  false,
  null,
  [],
  [1, 2],
  [2, 1],
  ['a'],
  [{ step: {} }],
  [{}],
  [{ a: 1, b: 2 }],
  [null],
  [[1]],
  ['s'],
  [{ step: {} }, { stepGroup: {} }],
  {},
  { a: 1 },
  { a: 2 },
  { b: [1, { c: null }] },
  { b: [1, { c: 0 }] },
];

describe('typed input check', () => {
  test("gives ajv's verdict and problem kind for every declaration and value", () => {
    let problems = 0;
    for (const decl of DECLS) {
      for (const value of VALUES) {
        const mine = checkInputValue(decl, value);
        // One deliberate difference: with allowedValues and a type-specific check (a regex, a
        // list's items), ajv reports a value of the wrong type as not allowed; the type problem
        // is the clearer message.
        const ajvSays = oracle(decl, value);
        const wrongType = !!mine?.message.startsWith('expected ');
        const expected = decl.allowedValues && wrongType && ajvSays === Codes.INPUT_NOT_ALLOWED ? Codes.INPUT_TYPE : ajvSays;
        expect({ decl, value, code: mine?.code }).toEqual({ decl, value, code: expected });
        if (mine) problems++;
      }
    }
    expect(problems).toBeGreaterThan(DECLS.length * 10);
  });

  test('messages say what was expected and where in a list', () => {
    expect(checkInputValue({ type: 'number' }, 'x')!.message).toBe('expected number, got string "x"');
    expect(checkInputValue({ type: 'steps' }, [{ step: {} }, {}])!.message).toBe(
      'item /1 must NOT have fewer than 1 properties (a steps input takes a list of single-key elements)',
    );
    expect(checkInputValue({ type: 'string', allowedValues: ['a', 'b'] }, 'c')!.message).toBe("'c' is not one of a, b");
    expect(checkInputValue({ type: 'string', regex: '^a' }, 'b')!.message).toBe("'b' does not match ^a");
  });
});
