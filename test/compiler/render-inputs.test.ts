import { describe, expect, test } from 'vitest';
import { DiagnosticBag, LocatedError } from '../../compiler/diagnostics.js';
import { resolveTypedInputs } from '../../compiler/inputs/inputs.js';
import { Positions } from '../../compiler/yaml/index.js';
import Handlebars from 'handlebars';
import { interpolate, renderScalar } from '../../compiler/templates/render.js';
import { rng } from '../mutate.js';

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
  test('plain lookups render without Handlebars exactly as Handlebars renders them', () => {
    const r = rng(42);
    const context = {
      inputs: {
        port: 6379,
        zero: 0,
        no: false,
        big: 1e21,
        neg: -1.5,
        name: 'redis',
        empty: '',
        html: '<&>"',
        list: ['a', 'b'],
        nested: { deep: 'yes' },
        nil: null,
      },
    };
    const names = [
      'inputs.port',
      'inputs.zero',
      'inputs.no',
      'inputs.big',
      'inputs.neg',
      'inputs.name',
      'inputs.empty',
      'inputs.html',
      'inputs.list',
      'inputs.list.length',
      'inputs.nested.deep',
      'inputs.nested',
      'inputs.nil',
      'inputs.nope',
      'inputs.name.length',
      'inputs.constructor',
      'inputs',
      'this',
      'true',
      'upper inputs.name',
      '#if inputs.no',
      '!c',
      '> p',
      '~inputs.name~',
      'else',
    ];
    const bits = ['', ' ', 'x', '{', '}', '}}', '{{', '\\', '\n', '<+input>'];
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      let text = '';
      for (let k = Math.floor(r() * 4); k >= 0; k--) {
        const name = names[Math.floor(r() * names.length)]!;
        const pad = r() < 0.3 ? ' ' : '';
        text += bits[Math.floor(r() * bits.length)]! + `{{${pad}${name}${pad}}}` + bits[Math.floor(r() * bits.length)]!;
      }
      let expected: string | undefined;
      try {
        expected = Handlebars.compile(text, { strict: true, noEscape: true })(context);
      } catch {
        expected = undefined; // Handlebars fails: the fast path must decline
      }
      const got = interpolate(text, context);
      if (got !== undefined) {
        fast++;
        expect({ text, got }).toEqual({ text, got: expected });
      }
    }
    expect(fast).toBeGreaterThan(100);
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
    const values = resolveTypedInputs(decls, given, {}, at, 'account.t@1', bag, new Positions());
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
