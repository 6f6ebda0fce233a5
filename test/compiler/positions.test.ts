/**
 * The positions table is handed to whoever reads or clones values: a copy made by the
 * compiler's clone helpers reports where its original was written, never line 1.
 */
import { describe, expect, test } from 'vitest';
import { withEnd } from '../../compiler/location.js';
import { DiagnosticBag } from '../../compiler/diagnostics.js';
import { readYaml } from '../../compiler/harness-yaml.js';
import { renderedBody } from '../../compiler/templates/template-body.js';
import { SizeBudget } from '../../compiler/size-budget.js';
import { Positions } from '../../compiler/yaml/index.js';
import type { ResolvedTemplate } from '../../compiler/sources/source.js';

const NOWHERE = { file: '?', line: 1, column: 1 };

const TEMPLATE = `template:
  name: t
  identifier: t
  versionLabel: 1.0.0
  type: Step
  spec:
    type: Run
    spec:
      command: echo hi
      envVariables:
        A: "1"
`;

function read(positions: Positions, text = TEMPLATE): Record<string, unknown> {
  const bag = new DiagnosticBag();
  const [doc] = readYaml('t.yaml', text, positions, bag);
  expect(bag.items).toEqual([]);
  return doc!.value as Record<string, unknown>;
}

describe('Positions', () => {
  test('clone copies every object with the position of its original', () => {
    const positions = new Positions();
    const value = read(positions);
    const copy = positions.clone(value);
    expect(copy).toEqual(value);
    const spec = (copy['template'] as { spec: { spec: Record<string, unknown> } }).spec.spec;
    expect(spec).not.toBe((value['template'] as { spec: { spec: unknown } }).spec.spec);
    expect(withEnd(positions.at(spec, 'command', NOWHERE))).toEqual({ file: 't.yaml', line: 9, column: 16, endLine: 9, endColumn: 23 });
    expect(withEnd(positions.keyAt(spec['envVariables'], 'A', NOWHERE))).toEqual({
      file: 't.yaml',
      line: 11,
      column: 9,
      endLine: 11,
      endColumn: 10,
    });
  });

  test('a table knows only the values read into it: another table answers with the fallback', () => {
    const mine = new Positions();
    const value = read(mine);
    expect(new Positions().of(value['template'], NOWHERE)).toBe(NOWHERE);
    expect(mine.of(value['template'], NOWHERE).line).toBe(2);
    expect(mine.at(value['template'], 'spec', NOWHERE).line).toBe(7);
  });

  test('a template body instantiated twice with the same inputs (the second from the cache) keeps its positions', () => {
    const positions = new Positions();
    const value = read(positions);
    const template: ResolvedTemplate = { ref: 'account.t', version: '1.0.0', digest: 'sha256:x', file: 't.yaml', value };
    const spec = (value['template'] as { spec: unknown }).spec;
    const instance = () =>
      renderedBody(
        template,
        spec,
        {},
        undefined,
        undefined,
        new DiagnosticBag(),
        false,
        {},
        { budget: new SizeBudget(1e6), at: NOWHERE },
        positions,
      );
    const first = instance();
    const second = instance();
    expect(second).not.toBe(first);
    for (const body of [first, second]) {
      const inner = body['spec'] as Record<string, unknown>;
      expect(withEnd(positions.at(inner, 'command', NOWHERE))).toEqual({ file: 't.yaml', line: 9, column: 16, endLine: 9, endColumn: 23 });
      expect(positions.of(inner['envVariables'], NOWHERE).line).toBe(11);
    }
  });
});
