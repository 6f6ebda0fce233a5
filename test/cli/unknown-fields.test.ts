/**
 * One policy for fields pipewright does not know (issue 14, point 1): a warning PW2007 at the
 * key with the closest legal field as a suggestion, at every level of pipelines, templates and
 * input sets; `--strict` (validate, compile, audit) makes them errors. Known fields keep their
 * type checks. The pipeline-level shapes are fixtures (`realworld/unknown-fields-warn`).
 */
import { describe, expect, test } from 'vitest';
import { closest } from '../../compiler/checks/known-fields.js';
import { onePipeline, runCli, tempDir } from '../helpers.js';

const TEMPLATE = `template:
  name: t
  identifier: t
  versionLabel: "1.0.0"
  type: Step
  descripton: oops
  spec:
    type: Background
    spec:
      image: redis:7
      readiness: {tcp: {port: 6379, hots: localhost}}
      portBinding: {"6379": "6379"}
`;
const INPUT_SET = 'inputSet:\n  name: s\n  identifier: s\n  pipeline:\n    identifier: t\n    variabels: []\n';
const TYPO = onePipeline('              - step: {type: Run, name: r, identifier: r, spec: {shel: Bash, command: echo}}\n');

describe('fields pipewright does not know', () => {
  test('in a template and its spec, by the template and step type: warnings with suggestions; --strict: errors', async () => {
    const dir = tempDir({ 't.yaml': TEMPLATE });
    const r = await runCli(['validate', 't.yaml'], dir);
    expect(r.code, r.stdout).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.includes('PW2007'));
    expect(lines).toEqual([
      "t.yaml:6:3: warning PW2007 unknown field 'descripton' in a template (did you mean 'description'?); pipewright ignores it (--strict makes this an error)",
      "t.yaml:11:37: warning PW2007 unknown field 'hots' in a tcp probe (did you mean 'host'?); pipewright ignores it (--strict makes this an error)",
      "t.yaml:12:7: warning PW2007 unknown field 'portBinding' in the spec of a Background step (did you mean 'portBindings'?); pipewright ignores it (--strict makes this an error)",
    ]);
    const strict = await runCli(['validate', 't.yaml', '--strict'], dir);
    expect(strict.code).toBe(2);
    expect((strict.stdout + strict.stderr).split('\n').filter((l) => /error PW2007/.test(l))).toHaveLength(3);
  });

  test('in an input set', async () => {
    const dir = tempDir({ 's.yaml': INPUT_SET });
    const r = await runCli(['validate', 's.yaml'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/s\.yaml:6:5: warning PW2007 unknown field 'variabels' in a pipeline \(did you mean 'variables'\?\)/);
  });

  test('audit: a warning by default (the pipeline compiles); with --strict the pipeline does not compile', async () => {
    const dir = tempDir({ 'p.yaml': TYPO, 'policy.yaml': 'policy:\n  name: p\n  rules: []\n' });
    const lax = await runCli(['audit', '.', '--policy', 'policy.yaml', '--format', 'json'], dir);
    expect(lax.code).toBe(0);
    expect(
      (JSON.parse(lax.stdout) as { results: { diagnostics: { code: string; severity: string }[] }[] }).results[0]!.diagnostics,
    ).toMatchObject([{ code: 'PW2007', severity: 'warning' }]);
    const strict = await runCli(['audit', '.', '--policy', 'policy.yaml', '--format', 'json', '--strict'], dir);
    expect(strict.code).toBe(1);
    expect((JSON.parse(strict.stdout) as { summary: { failedToCompile: number } }).summary.failedToCompile).toBe(1);
  });

  test('known fields keep their type checks', async () => {
    const dir = tempDir({
      'p.yaml': onePipeline('              - step: {type: Run, name: r, identifier: r, timeout: [1], spec: {command: echo}}\n'),
    });
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error PW2001 .*timeout: must be string/);
  });
});

describe('step types pipewright does not know', () => {
  const pipe = onePipeline(
    '              - step: {type: SomeVendorScan, name: v, identifier: v, spec: {target: x}}\n              - step: {type: Run, name: r, identifier: r, spec: {command: echo ok}}\n',
  );

  test('are a warning and an external step (a plan is written); --strict makes them an error', async () => {
    const dir = tempDir({ 'p.yaml': pipe });
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^p\.yaml:12:30: warning PW2003 step type 'SomeVendorScan' is not known to pipewright; kept as an external step/m,
    );
    const plan = JSON.parse(r.stdout) as { steps: { id: string; kind: string; type: string; spec?: unknown }[] };
    expect(plan.steps[0]).toMatchObject({ id: 's.v', kind: 'external', type: 'SomeVendorScan', spec: { target: 'x' } });
    const strict = await runCli(['compile', 'p.yaml', '--strict'], dir);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/error PW2003 step type 'SomeVendorScan' is not known to pipewright$/m);
  });

  test('run refuses them up front, as it does the known types it does not execute; --skip-unsupported skips them', async () => {
    const dir = tempDir({ 'p.yaml': pipe });
    const r = await runCli(['run', 'p.yaml', '--home', 'h'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unsupported step types .*s\.v \(SomeVendorScan\)/);
    const skipped = await runCli(['run', 'p.yaml', '--home', 'h', '--skip-unsupported', '--quiet', '--workspace', '.'], dir);
    expect(skipped.code, skipped.stderr).toBe(0);
  }, 30_000);
});

describe('hostile names and conditions (a probe found these)', () => {
  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'a step type named %s is an unknown type, not a crash',
    async (type) => {
      const dir = tempDir({
        'p.yaml': onePipeline(`              - step: {type: ${type}, name: r, identifier: r, spec: {command: echo hi}}\n`),
      });
      for (const cmd of ['validate', 'compile']) {
        const r = await runCli([cmd, 'p.yaml'], dir);
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).toMatch(/warning PW2003 step type/);
      }
    },
  );

  test('a condition regex is matched by RE2: no catastrophic backtracking at compile time', async () => {
    const dir = tempDir({
      'p.yaml': onePipeline(
        `              - step: {type: Run, name: r, identifier: r, spec: {command: echo}, when: {stageStatus: Success, condition: '"${'a'.repeat(40)}!" =~ "(a+)+$"'}}\n`,
      ),
    });
    const t0 = Date.now();
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.code, r.stderr).toBe(0);
  });

  test.each([
    ['10,000 nested parentheses', `${'('.repeat(10_000)}true${')'.repeat(10_000)}`],
    ['10,000 nested lists', `${'['.repeat(10_000)}${']'.repeat(10_000)}.size() > 0`],
    ['50,000 negations', `${'!'.repeat(50_000)}true`],
  ])('%s: a nesting limit, and the condition shortened in the message', async (_what, condition) => {
    const dir = tempDir({
      'p.yaml': onePipeline(
        `              - step: {type: Run, name: r, identifier: r, spec: {command: echo}, when: {stageStatus: Success, condition: '${condition}'}}\n`,
      ),
    });
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error PW3014 condition '.{0,220}': nested deeper than 200/);
    expect(r.stderr).not.toMatch(/call stack/);
  });
});

describe('a YAML merge key that brings __proto__', () => {
  test('is an own field (unknown, warned), never the prototype the step inherits its type and command from', async () => {
    const text = `base: &b\n  __proto__: {type: Run, spec: {command: evil}}\n${onePipeline('              - step:\n                  <<: *b\n                  name: r\n                  identifier: r\n')}`;
    const dir = tempDir({ 'p.yaml': text });
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(r.stdout).not.toContain('evil');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required field 'type'/);
  });
});

describe('the suggestion', () => {
  test.each([
    ['shel', 'shell'],
    ['Timeout', 'timeout'],
    ['envVariabels', 'envVariables'],
    ['conditon', 'condition'],
    ['idnetifier', 'identifier'],
    ['contextType', undefined],
    ['x', undefined],
  ])('%s → %s', (typo, want) => {
    expect(closest(typo, ['shell', 'timeout', 'envVariables', 'condition', 'identifier', 'type', 'spec'])).toBe(want);
  });
});

describe('fields Harness itself writes are known', () => {
  test('contextType beside step:, stageType in a step group template, reports in a Plugin spec: no warning, even with --strict', async () => {
    const dir = tempDir({
      'p.yaml': onePipeline(
        '              - step: {name: p, identifier: p, type: Plugin, spec: {image: plugins/slack, reports: {type: JUnit, spec: {paths: [a.xml]}}}}\n                contextType: Pipeline\n',
      ),
      'sg.yaml':
        'template:\n  name: sg\n  identifier: sg\n  versionLabel: v1\n  type: StepGroup\n  spec:\n    stageType: CI\n    steps:\n      - step: {type: Run, name: a, identifier: a, spec: {command: echo}}\n',
    });
    const r = await runCli(['validate', 'p.yaml', 'sg.yaml', '--strict'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/PW2007/);
  });
});
