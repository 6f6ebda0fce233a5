/**
 * Input regexes run in linear time (RE2): catastrophic-backtracking patterns answer at once,
 * through typed inputs, `<+input>.regex()`, and a registry publish over real HTTP; features
 * RE2 lacks are refused with a located diagnostic; a template's own default must match its
 * regex to be published.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { compile, DirectorySource } from '../../compiler/index.js';
import { regexProblem, testRegex } from '../../schemas/regex.js';
import { parseRuntimeInput } from '../../compiler/inputs/runtime-inputs.js';
import { echoVariableStep, inputTemplate, onePipeline, runCli, tempDir, templateStep } from '../helpers.js';
import { stringMatching } from '../support/matchers.js';
import { liveRegistry, publishWhileProbing, type LiveRegistry } from './live-registry.js';
import { join } from 'node:path';

/** Long enough that a backtracking engine would run for hours. */
const EVIL = 'a'.repeat(40) + '!';
/** Generous for a loaded CI machine; a backtracking match of EVIL takes about an hour. */
const FAST_MS = 1000;

const stepTemplate = (id: string, version: string, inputs: string, command = 'echo {{inputs.name}}') =>
  inputTemplate(id, version, inputs, command);

const pipelineUsing = (inputs: string) => onePipeline(templateStep(inputs));

async function compileWith(template: string, pipeline: string, sets: string[] = []) {
  const dir = tempDir({ 'templates/t.yaml': template, 'p.yaml': pipeline });
  const start = performance.now();
  const r = await compile({
    file: join(dir, 'p.yaml'),
    baseDir: dir,
    sources: [new DirectorySource([join(dir, 'templates')], { baseDir: dir })],
    sets,
  });
  return { ...r, ms: performance.now() - start };
}

describe('the regex engine', () => {
  test.each([
    ['^[a-z]+-\\d+$', ['abc-12', 'ABC-12', 'abc-', 'x abc-1']],
    ['^v\\d+\\.\\d+(\\.\\d+)?$', ['v1.2', 'v1.2.3', 'v1', '1.2', 'v1.2.3.4']],
    ['^(dev|staging|prod)$', ['dev', 'prod', 'production', 'Dev']],
    ['[A-Z]{2,4}-[0-9]{1,5}', ['AB-1', 'x ABCD-12345 y', 'A-1', 'ab-1']],
    ['^\\w+@[\\w.-]+\\.[a-z]{2,}$', ['a@b.io', 'a.b@c.io', 'a@b', 'a b@c.io']],
    ['^[^/\\s]+$', ['abc', 'a/b', 'a b', '']],
    ['^\\p{Lu}', ['Émile', 'émile', 'A', '1']],
    ['^(?<major>\\d+)\\.x$', ['1.x', '12.x', 'a.x']],
    ['colou?r', ['color', 'colour', 'colr']],
    ['^\\s*$', ['', '   ', ' a ']],
    ['^a.c$', ['abc', 'a\nc', 'ac']],
    ['end$', ['the end', 'the end\n', 'ending']],
  ])('%s matches the strings JavaScript matches', (pattern, values) => {
    for (const v of values) expect({ v, r: testRegex(pattern, v) }).toEqual({ v, r: { matched: new RegExp(pattern, 'u').test(v) } });
  });

  test('catastrophic patterns answer in linear time', () => {
    for (const pattern of ['^(a+)+$', '^(a|aa)+$', '^(a|a?)+$', '(.*a){20}$', '^(\\w+\\s?)*$']) {
      const start = performance.now();
      expect(testRegex(pattern, EVIL.repeat(100))).toEqual({ matched: false });
      expect(performance.now() - start).toBeLessThan(FAST_MS);
    }
  });

  test.each([
    ['(a)\\1', /backreference/],
    ['(?<x>a)\\k<x>', /backreference/],
    ['foo(?=bar)', /lookahead/],
    ['(?!x)y', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['a{1001}', /repetition/],
    ['.{1000}x', /copy the pattern 999 times/],
    ['(?:[a-z]{20}){20}', /copy the pattern/],
    ['(', /not a valid pattern/],
  ])('%s is refused, and the reason says why', (pattern, why) => {
    const problem = regexProblem(pattern);
    expect(problem).toMatch(why);
    expect(testRegex(pattern, 'x')).toMatchObject({ refused: 'pattern' });
  });

  test('ordinary counted repetitions are accepted', () => {
    for (const p of [
      '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
      '^[0-9a-f]{64}$',
      '^\\d{1,3}(\\.\\d{1,3}){3}$',
      '^.{1,255}$',
      '^(dev|qa|staging|prod|perf|sandbox|demo|preview|canary|hotfix|release|feature)$',
    ]) {
      expect({ p, problem: regexProblem(p) }).toEqual({ p, problem: undefined });
    }
  });

  test('a value longer than the limit is refused, not matched', () => {
    expect(testRegex('^a+$', 'a'.repeat(300_000))).toMatchObject({ refused: 'value' });
    expect(testRegex('^a+$', 'a'.repeat(30_000))).toEqual({ matched: true });
  });

  test('pattern length × value length is bounded: a long pattern against a long value is refused at once', () => {
    const t0 = performance.now();
    expect(testRegex('a'.repeat(900), 'a'.repeat(4096))).toMatchObject({
      refused: 'value',
      reason: stringMatching(/too much work/),
    });
    expect(regexProblem(`${'a.'.repeat(2000)}$`)).toMatch(/more than 1000/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  test('counted repetitions of Unicode property classes are refused before the engine runs out of memory', () => {
    const t0 = performance.now();
    expect(regexProblem('^[\\p{L}\\p{N}]{1,256}$')).toMatch(/Unicode property classes/);
    expect(regexProblem('(?i)(\\p{L}{200})+$')).toMatch(/Unicode property classes/);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  test('many distinct patterns do not exhaust the engine', () => {
    for (let i = 0; i < 3000; i++) expect(testRegex(`^x${i}[a-z]{0,8}$`, `x${i}abc`)).toEqual({ matched: true });
  });
});

describe('typed inputs', () => {
  test('a catastrophic regex checks a value at once (PW3003)', async () => {
    const r = await compileWith(
      stepTemplate('t', '1.0.0', '    name: {type: string, regex: "^(a+)+$"}'),
      pipelineUsing(`{name: "${EVIL}"}`),
    );
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['PW3003', 'p.yaml', 18]]);
  });

  test('a backreference is refused with the location of the regex (PW3017)', async () => {
    const r = await compileWith(stepTemplate('t', '1.0.0', '    name: {type: string, regex: "^(a)\\\\1$"}'), pipelineUsing('{name: aa}'));
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['PW3017', 'templates/t.yaml', 7]]);
    expect(r.diagnostics[0]!.message).toMatch(/backreference/);
  });
});

describe('validate', () => {
  test('a template whose regex RE2 refuses, or whose default does not match, fails validation, located', async () => {
    const dir = tempDir({
      'bad.yaml': stepTemplate(
        't',
        '1.0.0',
        '    name: {type: string, regex: "(?<=a)b"}\n    tag: {type: string, regex: "^v[0-9]+$", default: latest}',
      ),
      // Its command uses the input it declares: validate compiles it as publishing does.
      'good.yaml': stepTemplate('t', '1.0.1', '    tag: {type: string, regex: "^v[0-9]+$", default: v1}', 'echo {{inputs.tag}}'),
    });
    const bad = await runCli(['validate', 'bad.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^bad\.yaml:7:\d+: error PW3017 .*lookbehind/m);
    expect(bad.stderr).toMatch(/^bad\.yaml:8:\d+: error PW3003 /m);
    const good = await runCli(['validate', 'good.yaml'], dir);
    expect(good.code).toBe(0);
  });
});

describe('<+input>.regex()', () => {
  const pipeline = onePipeline(echoVariableStep, '  variables:\n    - {name: x, type: String, value: "<+input>.regex(^(a+)+$)"}\n');

  test('--set checks a value at once (PW3011)', async () => {
    const dir = tempDir({ 'p.yaml': pipeline });
    const start = performance.now();
    const r = await compile({ file: join(dir, 'p.yaml'), baseDir: dir, sets: [`pipeline.variables.x=${EVIL}`] });
    expect(performance.now() - start).toBeLessThan(FAST_MS);
    // Refused, so the input also stays without a value (PW3010).
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PW3011', 'PW3010']);
  });

  test('templateInputs check a value at once (PW3011)', async () => {
    const template = `template:
  name: t
  identifier: t
  versionLabel: "1.0.0"
  type: Step
  spec:
    type: Run
    spec:
      shell: Sh
      command: "<+input>.regex(^(a+)+$)"
`;
    const p = pipelineUsing('{}').replace('inputs: {}', `templateInputs: {spec: {command: "${EVIL}"}}`);
    const r = await compileWith(template, p);
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PW3011']);
  });

  test('a lookahead is refused with the location of the leaf (PW3017)', async () => {
    const dir = tempDir({ 'p.yaml': pipeline.replace('^(a+)+$', '^(?=a)a$') });
    const r = await compile({ file: join(dir, 'p.yaml'), baseDir: dir, sets: ['pipeline.variables.x=a'] });
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['PW3010', 5],
      ['PW3017', 5],
    ]);
    expect(r.diagnostics[1]!.message).toMatch(/lookahead/);
  });
});

describe('publish over HTTP', () => {
  let reg: LiveRegistry | undefined;
  afterEach(async () => {
    await reg?.close();
    reg = undefined;
  });

  test('a nested reference with a catastrophic regex answers quickly with 422 PW3003; /healthz answers meanwhile', async () => {
    reg = await liveRegistry();
    const inner = await reg.publish(
      'account.inner',
      '1.0.0',
      stepTemplate('inner', '1.0.0', '    name: {type: string, regex: "^(a+)+$", default: aaa}'),
    );
    expect(inner.status).toBe(201);
    const outer = `template:
  name: outer
  identifier: outer
  versionLabel: "1.0.0"
  type: StepGroup
  spec:
    steps:
      - step:
          name: a
          identifier: a
          template: {templateRef: account.inner, versionLabel: "1.0.0", inputs: {name: "${EVIL}"}}
`;
    const { publish, slowestHealth, healthChecks } = await publishWhileProbing(reg, 'account.outer', '1.0.0', outer);
    expect(publish.status).toBe(422);
    expect(publish.ms).toBeLessThan(FAST_MS);
    expect(publish.body.error!.details!.map((d) => d.code)).toContain('PW3003');
    expect(healthChecks).toBeGreaterThan(0);
    expect(slowestHealth).toBeLessThan(FAST_MS);
  });

  test('a default that does not match its regex is refused, located at the default (PW3003)', async () => {
    reg = await liveRegistry();
    const res = await reg.publish(
      'account.t',
      '1.0.0',
      stepTemplate('t', '1.0.0', '    name:\n      type: string\n      regex: "^[a-z]+$"\n      default: "Not Lower"'),
    );
    expect(res.status).toBe(422);
    expect(res.body.error!.details!.map((d) => [d.code, d.line])).toEqual([['PW3003', 10]]);
  });

  test('a catastrophic default is checked quickly', async () => {
    reg = await liveRegistry();
    const res = await reg.publish(
      'account.t',
      '1.0.0',
      stepTemplate('t', '1.0.0', `    name: {type: string, regex: "^(a+)+$", default: "${EVIL}"}`),
    );
    expect(res.status).toBe(422);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.body.error!.details!.map((d) => d.code)).toEqual(['PW3003']);
  });

  test('a backreference is refused with its location (PW3017)', async () => {
    reg = await liveRegistry();
    const res = await reg.publish(
      'account.t',
      '1.0.0',
      stepTemplate('t', '1.0.0', '    name: {type: string, regex: "(a)\\\\1", default: aa}'),
    );
    expect(res.status).toBe(422);
    expect(res.body.error!.details!.map((d) => [d.code, d.line])).toEqual([['PW3017', 7]]);
    expect(res.body.error!.message).toMatch(/backreference/);
  });

  test('a template whose default matches publishes', async () => {
    reg = await liveRegistry();
    const res = await reg.publish(
      'account.t',
      '1.0.0',
      stepTemplate('t', '1.0.0', '    name: {type: string, regex: "^[a-z]+$", default: lower}'),
    );
    expect(res.status).toBe(201);
  });
});

describe('a template\u2019s own runtime-input defaults', () => {
  test('a .regex() with parentheses ends where it closes, so the modifiers after it are read', () => {
    expect(parseRuntimeInput('<+input>.regex(^(a+)+$).default(aa!)')).toMatchObject({ regex: '^(a+)+$', default: 'aa!' });
    expect(parseRuntimeInput('<+input>.regex(^(x|y)$).allowedValues(x,y)')).toMatchObject({ regex: '^(x|y)$', allowedValues: ['x', 'y'] });
    expect(parseRuntimeInput('<+input>.regex(^a\\)b$)')).toMatchObject({ regex: '^a\\)b$' });
  });

  test('validate refuses a default its own .regex() refuses, at the leaf, quickly', async () => {
    const dir = tempDir({
      't.yaml': `template:\n  name: t\n  identifier: t\n  versionLabel: "1.0.0"\n  type: Step\n  spec:\n    type: Run\n    spec:\n      shell: Sh\n      command: <+input>.regex(^(a+)+$).default(${'a'.repeat(40)}!)\n`,
    });
    const t0 = performance.now();
    const r = await runCli(['validate', 't.yaml'], dir);
    expect(performance.now() - t0).toBeLessThan(FAST_MS);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/t\.yaml:10:\d+: error PW3011 .*its own default/);
  });
});
