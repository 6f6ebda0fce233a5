import { describe, expect, test } from 'vitest';
import { withEnd } from '../../compiler/location.js';
import { DiagnosticBag } from '../../compiler/diagnostics.js';
import { compile } from '../../compiler/compile.js';
import { MAX_NESTING } from '../../compiler/yaml/index.js';
import { MAX_ALIAS_NODES } from '../../compiler/yaml/index.js';
import { readYaml, sourcePositions } from '../../compiler/harness-yaml.js';

describe('yaml-reader', () => {
  test('records positions of objects and keys (1-based)', () => {
    const bag = new DiagnosticBag();
    const [doc] = readYaml('f.yaml', 'a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n', sourcePositions, bag);
    const v = doc!.value as { a: { b: number; c: unknown[] } };
    expect(bag.items).toEqual([]);
    expect(withEnd(sourcePositions.at(v.a, 'b', { file: '', line: 0, column: 0 }))).toEqual({
      file: 'f.yaml',
      line: 2,
      column: 6,
      endLine: 2,
      endColumn: 7,
    });
    expect(withEnd(sourcePositions.atPath(v, ['a', 'c', 1, 'd'], { file: '', line: 0, column: 0 }))).toEqual({
      file: 'f.yaml',
      line: 5,
      column: 11,
      endLine: 5,
      endColumn: 12,
    });
  });

  test('versionLabel keeps its text: 1.0 stays "1.0"', () => {
    const [doc] = readYaml('f.yaml', 'versionLabel: 1.0\nother: 1.0\n', sourcePositions, new DiagnosticBag());
    expect(doc!.value).toEqual({ versionLabel: '1.0', other: 1 });
  });

  test('an alias bomb stops with PW1003 instead of exhausting memory', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      lines.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    const bag = new DiagnosticBag();
    readYaml('bomb.yaml', lines.join('\n'), sourcePositions, bag);
    expect(bag.items.map((d) => d.code)).toContain('PW1003');
    expect(MAX_ALIAS_NODES).toBeLessThan(100_000);
  });

  test.each([
    ['flow', 150, (n: number) => 'a: ' + '['.repeat(n) + ']'.repeat(n) + '\n', 1],
    ['block', 150, (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' x\n', 101],
    ['far too deep for the yaml library', 20_000, (n: number) => 'a: ' + '['.repeat(n) + ']'.repeat(n) + '\n', 1],
  ])('%s nesting past the limit is PW1007, never a crash of a later phase', async (_what, n, text, line) => {
    const bag = new DiagnosticBag();
    expect(readYaml('deep.yaml', text(n), sourcePositions, bag)).toEqual([]);
    expect(bag.items[0]).toMatchObject({ code: 'PW1007', line });
    const r = await compile({
      file: 'deep.yaml',
      text: 'pipeline:\n  identifier: p\n  variables: [{name: v, type: String, value: ' + '['.repeat(n) + ']'.repeat(n) + '}]\n',
    });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PW1007']);
  });

  test('nesting up to the limit is read', () => {
    const bag = new DiagnosticBag();
    const [doc] = readYaml('f.yaml', 'a: ' + '['.repeat(MAX_NESTING - 1) + ']'.repeat(MAX_NESTING - 1) + '\n', sourcePositions, bag);
    expect(bag.items).toEqual([]);
    expect(JSON.stringify(doc!.value)).toBe(`{"a":${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}}`);
  });

  test('a few aliases and merge keys are fine', () => {
    const bag = new DiagnosticBag();
    const [doc] = readYaml('f.yaml', 'base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n', sourcePositions, bag);
    expect(bag.items).toEqual([]);
    expect((doc!.value as Record<string, unknown>)['use']).toEqual({ x: 1, y: 3 });
  });

  test('a file over the size limit is PW1002 and is not parsed', () => {
    const bag = new DiagnosticBag();
    const docs = readYaml('big.yaml', 'a: ' + 'x'.repeat(2000), sourcePositions, bag, { maxBytes: 1000 });
    expect(docs).toEqual([]);
    expect(bag.items[0]).toMatchObject({ code: 'PW1002', line: 1, column: 1 });
  });

  test('__proto__ keys are data, not prototype changes', () => {
    const [doc] = readYaml('f.yaml', '__proto__: {polluted: true}\n', sourcePositions, new DiagnosticBag());
    const v = doc!.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(v)).toEqual(['__proto__']);
  });

  test('several documents, each with its start line', () => {
    const docs = readYaml('m.yaml', 'a: 1\n---\nb: 2\n', sourcePositions, new DiagnosticBag());
    expect(docs.map((d) => [d.index, d.line])).toEqual([
      [0, 1],
      [1, 3],
    ]);
  });
});
