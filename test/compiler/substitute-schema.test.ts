import { describe, expect, test } from 'vitest';
import { DiagnosticBag } from '../../compiler/diagnostics.js';
import type { ExprScope } from '../../compiler/expressions/expressions.js';
import { checkSchema, splitPointer } from '../../compiler/checks/schema-check.js';
import { substitute, type SubstituteSink } from '../../compiler/expressions/substitute.js';
import { readYaml, sourcePositions } from '../../compiler/harness-yaml.js';
import type { PlanRef } from '../../schemas/plan.js';

const scope: ExprScope = {
  pipeline: {
    identifier: 'pay',
    name: 'Payments',
    variables: { n: 3, env: 'prod', chain: '<+pipeline.variables.env>-x', loop: '<+pipeline.variables.loop>' },
    stages: {},
  },
  stage: { identifier: 'build', name: 'Build', type: 'CI', variables: { flavour: 'f1' } },
  strategy: { matrix: { os: 'linux' }, iteration: 1, iterations: 2 },
};

function sink(): SubstituteSink & { problems: string[] } {
  const problems: string[] = [];
  return {
    problems,
    refs: new Map<string, PlanRef>(),
    problem: (code, message) => problems.push(`${code}: ${message}`),
    output: (path) => (path[0] === 'known' ? { step: 'build.known' } : { error: `no step ${path.join('.')}` }),
  };
}

describe('substitute', () => {
  test('static values, typed when the whole string is one expression', () => {
    const s = sink();
    expect(substitute('<+pipeline.variables.n>', scope, s)).toBe(3);
    expect(substitute('n=<+pipeline.variables.n> <+stage.identifier>/<+matrix.os>/<+strategy.iteration>', scope, s)).toBe(
      'n=3 build/linux/1',
    );
    expect(substitute('<+pipeline.variables.chain>', scope, s)).toBe('prod-x');
    expect(s.problems).toEqual([]);
  });
  test('conditions quote static strings', () => {
    expect(substitute('<+pipeline.variables.env> == "prod" && <+pipeline.variables.n> > 2', scope, sink(), { quote: true })).toBe(
      '"prod" == "prod" && 3 > 2',
    );
  });
  test('runtime references are kept and listed', () => {
    const s = sink();
    const text = 'echo <+steps.known.output.outputVariables.V> <+secrets.getValue("tok")> <+pipeline.sequenceId>';
    expect(substitute(text, scope, s)).toBe(text);
    expect([...s.refs.values()].map((r) => `${r.kind}:${r.step ?? r.name ?? ''}`).sort()).toEqual([
      'output:build.known',
      'runtime:',
      'secret:tok',
    ]);
  });
  test('problems: unknown variable, bad output, self reference, unclosed', () => {
    const s = sink();
    substitute('<+pipeline.variables.nope>', scope, s);
    substitute('<+steps.ghost.output.outputVariables.V>', scope, s);
    substitute('<+pipeline.variables.loop>', scope, s);
    substitute('<+pipeline.name', scope, s);
    expect(s.problems.map((p) => p.split(':')[0])).toEqual(['unknown-variable', 'output', 'syntax', 'syntax']);
  });
});

describe('schema-check', () => {
  test('ajv errors map to codes at the YAML position of the node', () => {
    const text =
      'pipeline:\n  identifier: p\n  stages:\n    - stage:\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step:\n                  identifier: a\n                  type: Run\n                  timeout: soon\n                  spec: {}\n';
    const bag = new DiagnosticBag();
    const [doc] = readYaml('p.yaml', text, sourcePositions, bag);
    expect(checkSchema('pipeline', doc!.value, 'p.yaml', bag)).toBe(false);
    expect(bag.items.map((d) => `${d.line}:${d.column} ${d.code}`).sort()).toEqual(['13:28 PW2006', '14:25 PW2002']);
  });
  test('JSON pointers are split and unescaped', () => {
    expect(splitPointer('/a/b~1c/0/d~0e')).toEqual(['a', 'b/c', 0, 'd~e']);
  });
});
