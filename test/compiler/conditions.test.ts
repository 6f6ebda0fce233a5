/**
 * Conditions as people write them (issue 14, point 3): method calls on a value, chained, with
 * string arguments; ternaries; list values; a condition written as one expression around
 * nested references (`<+<+a>.split(",").size() > 1>`). One language for the compiler's check
 * and the runtime's evaluation (`schemas/conditions.ts`).
 */
import { describe, expect, test } from 'vitest';
import { checkCondition, ConditionError, evaluateCondition, evaluateValue, unwrapped } from '../../schemas/conditions.js';

describe('evaluating', () => {
  test.each([
    ['"dev:eu,prod:us".contains("dev:eu")', true],
    ['"dev:eu,prod:us".contains("qa:eu")', false],
    ['"Main".equalsIgnoreCase("main")', true],
    ['"Release/1".toLowerCase().startsWith("release/")', true],
    ['"a.tar.gz".endsWith(".gz") && !"x".isEmpty()', true],
    ['"".isEmpty()', true],
    ['"a,b,c".split(",").size() == 3', true],
    ['"a,b,c".split(",").contains("b")', true],
    ['"  x ".trim().length() == 1', true],
    ['"abc".toUpperCase() == "ABC"', true],
    ['["dev","prod"].size() > 1', true],
    ['["dev","prod"].contains("qa")', false],
    ['3 > 2 ? true : false', true],
    ['"a,b".split(",").size() > 2 ? true : false', false],
    ['1 > 2 ? false : 2 > 1 ? true : false', true],
    ['("x" == "x") ? "yes" == "yes" : false', true],
  ])('%s → %s', (src, want) => {
    expect(evaluateCondition(src)).toBe(want);
  });

  test('one expression around nested references is the expression inside', () => {
    expect(unwrapped('<+<+pipeline.variables.t>.split(",").size() > 1 ? true : false>')).toBe(
      '<+pipeline.variables.t>.split(",").size() > 1 ? true : false',
    );
    expect(unwrapped('<+pipeline.variables.t>.contains("a")')).toBe('<+pipeline.variables.t>.contains("a")');
    expect(() => checkCondition('<+<+pipeline.variables.t>.split(",").size() > 1 ? true : false>')).not.toThrow();
  });
});

describe('refusing', () => {
  test.each([
    ['"a".frobnicate()', /unknown method \.frobnicate\(\)/],
    ['true ? 1', /missing ':'/],
    ['[1, 2', /missing \]/],
    ['"a".contains("b"', /missing \)/],
    ['"a".contains()', /\.contains\(\) takes one argument/],
    ['"a,b".split().size() > 1', /\.split\(\) takes one argument/],
    ['"abc".length(5) == 3', /\.length\(\) takes no argument/],
    ['"abc".size(1,2) == 3', /\.size\(\) takes no argument/],
    ['"abc".contains("a","b")', /\.contains\(\) takes one argument/],
  ])('%s', (src, message) => {
    expect(() => checkCondition(src)).toThrow(ConditionError);
    expect(() => checkCondition(src)).toThrow(message);
  });
});

describe('groups and values', () => {
  test('a filled reference inside a condition is a group: <+"a,b".contains("a")> && 2 == 2', () => {
    expect(evaluateCondition('<+"a,b".contains("a")> && 2 == 2')).toBe(true);
    expect(evaluateCondition('<+"a,b".split(",").size()> > 2')).toBe(false);
  });

  test('a reference nobody filled is an error, never the text of its path', () => {
    expect(() => evaluateCondition('<+codebase.branch> == "codebase.branch"')).toThrow(/unresolved reference <\+codebase\.branch/);
  });

  test('an expression evaluates to its value: a list, a number', () => {
    expect(evaluateValue('"dev,qa".split(",")')).toEqual(['dev', 'qa']);
    expect(evaluateValue('<+"dev,qa".split(",").size()>')).toBe(2);
  });
});

describe('the result of a condition', () => {
  test('is true or false: a boolean, or the text true/false in any case', () => {
    expect(evaluateCondition('"FALSE"')).toBe(false);
    expect(evaluateCondition('"True"')).toBe(true);
    expect(evaluateCondition('1 < 2')).toBe(true);
  });

  test('anything else is an error, never "true because not empty" (a gate ran a step on "no")', () => {
    expect(() => evaluateCondition('5 > 40 ? "yes" : "no"')).toThrow(/gives "no", not true or false/);
    expect(() => evaluateCondition('"a,b"')).toThrow(ConditionError);
    expect(() => evaluateCondition('0')).toThrow(/gives 0, not true or false/);
  });
});

describe('checking a condition at compile time', () => {
  test('a pattern only the run knows is not checked as a pattern (it failed as the regex "?")', () => {
    expect(() => checkCondition('"abc" =~ <+codebase.branch>')).not.toThrow();
    expect(() => checkCondition('<+codebase.branch> !~ <+pipeline.variables.pattern>')).not.toThrow();
    expect(() => checkCondition('"abc" =~ "("')).toThrow(ConditionError);
  });
});

describe('indexing', () => {
  test('a list is indexed from 0: "a,b".split(",")[1] == "b"; past the end is an error', () => {
    expect(evaluateCondition('"a,b".split(",")[1] == "b"')).toBe(true);
    expect(evaluateValue('<+"a,b,c".split(",")[2]>')).toBe('c');
    expect(() => evaluateCondition('"a,b".split(",")[2] == "b"')).toThrow(/outside the list \(2 items\)/);
    expect(() => checkCondition('<+pipeline.variables.x>.split(",")[0] == "a"')).not.toThrow();
  });
});

describe('a reference inside a string literal of a condition', () => {
  test('is text in that literal while the condition is checked (it broke the literal: unexpected \\x00)', () => {
    expect(() => checkCondition('<+steps.a.output.outputVariables.T> != "x-<+matrix.v>"')).not.toThrow();
    expect(() => checkCondition("<+pipeline.variables.t>.contains('<+matrix.env>:eu') && <+matrix.n> > 1")).not.toThrow();
    expect(() => checkCondition('"a" == "<+matrix.v>" ==')).toThrow(ConditionError);
  });
});
