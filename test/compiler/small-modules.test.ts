import { describe, expect, test } from 'vitest';
import { canonicalJson, digestOf } from '../../compiler/plan/canonical.js';
import { parseDuration } from '../../compiler/expressions/duration.js';
import { scanExpressions } from '../../compiler/expressions/expressions.js';
import { checkRuntimeInput, parseRuntimeInput } from '../../compiler/inputs/runtime-inputs.js';
import { selectVersion, sortVersions } from '../../compiler/sources/versions.js';
import { expandStrategy } from '../../compiler/plan/strategy.js';
import { Positions } from '../../compiler/yaml/index.js';
import { parseRef, refOfTemplate } from '../../compiler/sources/source.js';
import { stringMatching } from '../support/matchers.js';

const at = { file: 'f', line: 1, column: 1 };

describe('duration', () => {
  test.each([
    ['45s', 45_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1h0m0s', 3_600_000],
    ['500ms', 500],
    ['1d', 86_400_000],
    ['2w', 1_209_600_000],
    ['1.5s', 1500],
    ['30', 30_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  test.each(['10 minutes', 'abc', '5x', '-1s'])('%s is not a duration', (t) => expect(parseDuration(t)).toBeNull());
  test('empty is not set', () => expect(parseDuration('')).toBeUndefined());
});

describe('versions', () => {
  const vs = ['1.0.0', '1.2.0', '1.2.7', '1.3.0', '2.0.0-rc.1', '2.0.0', 'V1'].map((version) => ({ version }));
  test.each([
    ['', '2.0.0'],
    ['stable', '2.0.0'],
    ['1.2.0', '1.2.0'],
    ['V1', 'V1'],
    ['^1.2', '1.3.0'],
    ['~1.2.0', '1.2.7'],
    ['1.x', '1.3.0'],
    ['>=1.2 <1.3', '1.2.7'],
    ['^2.0.0-rc', '2.0.0'],
    ['2.0.0-rc.1', '2.0.0-rc.1'],
  ])('selector %j picks %s', (sel, want) => {
    const r = selectVersion(sel, vs);
    expect(r.ok && r.version).toBe(want);
  });
  test('labels win over ranges; a pinned stable label is honoured', () => {
    expect(selectVersion('canary', vs, { canary: '2.0.0-rc.1' })).toMatchObject({ ok: true, version: '2.0.0-rc.1', via: 'label' });
    expect(selectVersion('', vs, { stable: '1.2.0' })).toMatchObject({ ok: true, version: '1.2.0' });
  });
  test('yanked versions are chosen only by exact version', () => {
    const y = [{ version: '1.0.0' }, { version: '1.1.0', yanked: true }];
    expect(selectVersion('^1', y)).toMatchObject({ version: '1.0.0' });
    expect(selectVersion('1.1.0', y)).toMatchObject({ version: '1.1.0' });
  });
  test('no match explains itself', () => {
    expect(selectVersion('^3', vs)).toMatchObject({ ok: false });
    expect(selectVersion('', [{ version: 'a' }, { version: 'b' }])).toMatchObject({ ok: false });
    expect(selectVersion('', [{ version: 'only' }])).toMatchObject({ ok: true, version: 'only' });
  });
  test('sorting: semver newest first, then others', () => {
    expect(sortVersions(['1.0.0', 'V1', '1.10.0', '1.2.0'])).toEqual(['1.10.0', '1.2.0', '1.0.0', 'V1']);
  });
});

describe('runtime inputs', () => {
  test('modifiers with unquoted, quoted and typed arguments', () => {
    expect(parseRuntimeInput('<+input>')).toEqual({ executionInput: false });
    expect(parseRuntimeInput('<+input>.default(main)')).toMatchObject({ default: 'main' });
    expect(parseRuntimeInput('<+input>.default(true).allowedValues(true,false)')).toMatchObject({
      default: true,
      allowedValues: [true, false],
    });
    expect(parseRuntimeInput("<+input>.default('a, b').regex(^[a-z]+(,[a-z]+)*$)")).toMatchObject({
      default: 'a, b',
      regex: '^[a-z]+(,[a-z]+)*$',
    });
    expect(parseRuntimeInput('<+input>.selectOneFrom(a,b).executionInput()')).toMatchObject({
      allowedValues: ['a', 'b'],
      executionInput: true,
    });
  });
  test('malformed modifiers throw a readable error', () => {
    expect(() => parseRuntimeInput('<+input>.bogus(1)')).toThrow(/unknown modifier/);
    expect(() => parseRuntimeInput('<+input>.default(1')).toThrow(/unclosed/);
  });
  test('constraints', () => {
    expect(checkRuntimeInput({ executionInput: false, allowedValues: ['a'] }, 'b')?.message).toMatch(/not one of/);
    expect(checkRuntimeInput({ executionInput: false, regex: '^x' }, 'y')).toMatchObject({
      code: 'PW3011',
      message: stringMatching(/does not match/),
    });
    expect(checkRuntimeInput({ executionInput: false, regex: '(x)\\1' }, 'xx')).toMatchObject({
      code: 'PW3017',
      message: stringMatching(/backreference/),
    });
    expect(checkRuntimeInput({ executionInput: false, allowedValues: [3] }, 3)).toBeUndefined();
  });
});

describe('expression scanning', () => {
  test('nested and quoted expressions are one match each', () => {
    const s = 'a <+<+pipeline.variables.x>.split(",")> b <+secrets.getValue("k<+stage.identifier>")> c';
    expect(scanExpressions(s).matches.map((m) => m.body)).toEqual([
      '<+pipeline.variables.x>.split(",")',
      'secrets.getValue("k<+stage.identifier>")',
    ]);
  });
  test('unclosed is reported with its offset', () => {
    expect(scanExpressions('x <+pipeline.name').open).toBe(2);
  });
});

describe('canonical json', () => {
  test('key order does not change the digest', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    expect(digestOf({ x: 1, y: 2 })).toBe(digestOf({ y: 2, x: 1 }));
    expect(digestOf({ x: 1 })).not.toBe(digestOf({ x: 2 }));
  });
});

describe('strategy', () => {
  test('matrix product with exclude and per-axis index suffixes', () => {
    const r = expandStrategy({ matrix: { a: [1, 2], b: ['x', 'y'], exclude: [{ a: 2, b: 'x' }] } }, at, new Positions());
    expect(r.kind === 'static' && r.copies.map((c) => c.suffix)).toEqual(['_0_0', '_0_1', '_1_1']);
  });
  test('expressions make it dynamic; too many copies is PW5003', () => {
    expect(expandStrategy({ matrix: { a: '<+x>' } }, at, new Positions()).kind).toBe('dynamic');
    expect(() => expandStrategy({ parallelism: 1000 }, at, new Positions())).toThrow(/more than/);
    expect(() => expandStrategy({ parallelism: 0 }, at, new Positions())).toThrow(/positive/);
  });
});

describe('references and scopes', () => {
  test.each([
    ['account.redis', 'account'],
    ['org.redis', 'org'],
    ['redis', 'project'],
  ])('%s is %s-scoped', (ref, scope) => expect(parseRef(ref)?.scope).toBe(scope));
  test('outside the grammar', () => {
    expect(parseRef('team.redis')).toBeUndefined();
    expect(parseRef('account.9x')).toBeUndefined();
  });
  test('template scope from its fields', () => {
    expect(refOfTemplate({ identifier: 'x' })).toBe('account.x');
    expect(refOfTemplate({ identifier: 'x', orgIdentifier: 'o' })).toBe('org.x');
    expect(refOfTemplate({ identifier: 'x', orgIdentifier: 'o', projectIdentifier: 'p' })).toBe('x');
  });
});
