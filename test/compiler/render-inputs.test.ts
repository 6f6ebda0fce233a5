import { describe, expect, test } from 'vitest';
import { DiagnosticBag, LocatedError } from '../../compiler/diagnostics.js';
import { resolveTypedInputs } from '../../compiler/inputs.js';
import { renderScalar } from '../../compiler/render.js';

const at = { file: 't.yaml', line: 3, column: 5 };
const ctx = { inputs: { port: 6379, name: 'redis', list: ['a', 'b'], on: true } };

describe('render', () => {
  test('a single expression keeps its type', () => {
    expect(renderScalar('{{inputs.port}}', ctx, at)).toBe(6379);
    expect(renderScalar('{{ inputs.list }}', ctx, at)).toEqual(['a', 'b']);
    expect(renderScalar('{{inputs.on}}', ctx, at)).toBe(true);
  });
  test('mixed text renders to a string, without HTML escaping', () => {
    expect(renderScalar('redis-server --port {{inputs.port}} <&>', ctx, at)).toBe('redis-server --port 6379 <&>');
    expect(renderScalar('{{upper inputs.name}}-{{join inputs.list "+"}}', ctx, at)).toBe('REDIS-a+b');
  });
  test('escaped braces stay literal', () => {
    expect(renderScalar('\\{{not.rendered}} {{inputs.name}}', ctx, at)).toBe('{{not.rendered}} redis');
  });
  test.each([
    ['{{inputs.nope}}', 'PW3007'],
    ['x {{inputs.nope}}', 'PW3007'],
    ['{{#if inputs.on}', 'PW3006'],
    ['{{lookup inputs "name"}}', 'PW3008'],
    ['{{log inputs.name}}', 'PW3008'],
    ['{{evil inputs.name}}', 'PW3008'],
  ])('%s is %s at the scalar', (text, code) => {
    try {
      renderScalar(text, ctx, at);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LocatedError);
      expect((e as LocatedError).code).toBe(code);
      expect((e as LocatedError).location).toEqual(at);
    }
  });
  test('input values are data: braces in a value are not rendered again', () => {
    expect(renderScalar('echo {{inputs.name}}', { inputs: { name: '{{inputs.secret}}' } }, at)).toBe('echo {{inputs.secret}}');
  });
});

describe('typed inputs', () => {
  const decls = {
    port: { type: 'number' as const, default: 6379 },
    version: { type: 'string' as const, default: '7', allowedValues: ['6', '7'] },
    id: { type: 'string' as const, regex: '^[a-z]+$' },
    extra: { type: 'steps' as const },
  };
  const run = (given: unknown) => {
    const bag = new DiagnosticBag();
    const values = resolveTypedInputs(decls, given, {}, at, 'account.t@1', bag);
    return { values, codes: bag.items.map((d) => d.code) };
  };
  test('defaults fill what is not given; steps default to an empty list', () => {
    expect(run({ id: 'abc' }).values).toEqual({ id: 'abc', port: 6379, version: '7', extra: [] });
  });
  test('all problems are reported at once', () => {
    expect(run({ port: 'x', version: '8', id: 'ABC', colour: 1 }).codes.sort()).toEqual(['PW3001', 'PW3002', 'PW3003', 'PW3005']);
    expect(run({}).codes).toEqual(['PW3004']);
    expect(run({ id: 'a', extra: [{ step: {} }, 'x'] }).codes).toEqual(['PW3001']);
  });
  test('an expression stands in for any type', () => {
    expect(run({ id: 'a', port: '<+pipeline.variables.port>' }).values?.['port']).toBe('<+pipeline.variables.port>');
  });
});
