/**
 * Names that are also properties of Object.prototype (`constructor`, `toString`,
 * `__proto__`) are ordinary names: inputs so named keep their defaults and are reported
 * missing when required; `--set` follows own properties only and types its value by the
 * variable's declared type, with located PW3xxx diagnostics and exit code 2.
 */
import type { RunStep } from '../../schemas/index.js';
import { describe, expect, test } from 'vitest';
import { echoVariableStep, inputTemplate, onePipeline, runCli, tempDir, templateStep } from '../helpers.js';
import type { CompileJson } from '../support/cli-json.js';

/** A Step template declaring `inputs` (YAML text, indented under `inputs:`) and echoing `echo`. */
const template = (inputs: string, echo: string) => inputTemplate('t', '1.0.0', inputs, echo);

/** A pipeline whose one step uses template `t` with `inputs` (flow mapping text). */
const user = (inputs: string, variables = '') => onePipeline(templateStep(inputs), variables);

async function compileJson(files: Record<string, string>, extra: string[] = []) {
  const dir = tempDir(files);
  const run = await runCli(['compile', 'p.yaml', '-t', 'templates', '--json', ...extra], dir);
  const out = JSON.parse(run.stdout) as {
    ok: boolean;
    diagnostics: { code: string; line: number; file: string; message: string }[];
    plans: { steps: { command?: string; env?: Record<string, string> }[]; pipeline: { variables?: Record<string, unknown> } }[];
  };
  return { ...run, out };
}

describe('inputs named after Object.prototype properties', () => {
  test.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('an input named %s keeps its default', async (name) => {
    const r = await compileJson({
      'templates/t.yaml': template(
        `    ${name}: {type: string, default: "from-default"}\n    other: {type: string, default: x}`,
        `echo {{inputs.${name}}}`,
      ),
      'p.yaml': user('{other: y}'),
    });
    expect(r.out.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.plans[0]!.steps[0]!.command).toBe('echo from-default');
  });

  test.each(['constructor', 'toString', '__proto__'])('a required input named %s is reported missing (PW3004)', async (name) => {
    const r = await compileJson({
      'templates/t.yaml': template(`    ${name}: {type: string}\n    other: {type: string, default: x}`, `echo {{inputs.other}}`),
      'p.yaml': user('{other: y}'),
    });
    expect(r.code).toBe(2);
    expect(r.out.diagnostics.map((d) => d.code)).toEqual(['PW3004']);
    expect(r.out.diagnostics[0]!.message).toContain(`'${name}'`);
    expect(r.out.diagnostics[0]).toMatchObject({ file: 'p.yaml', line: 18 });
  });

  test.each(['constructor', 'toString', 'valueOf'])('giving an undeclared input named %s is unknown (PW3005)', async (name) => {
    const r = await compileJson({
      'templates/t.yaml': template(`    other: {type: string, default: x}`, `echo {{inputs.other}}`),
      'p.yaml': user(`{${name}: y}`),
    });
    expect(r.code).toBe(2);
    expect(r.out.diagnostics.map((d) => d.code)).toEqual(['PW3005']);
  });

  test('an input named __proto__ given a mapping stays an own input, not a prototype', async () => {
    const r = await compileJson({
      'templates/t.yaml': template(`    __proto__: {type: object, default: {}}`, `echo {{json inputs.__proto__}}`),
      'p.yaml': user('\n                      __proto__: {polluted: yes}'),
    });
    expect(r.out.diagnostics).toEqual([]);
    expect(r.out.plans[0]!.steps[0]!.command).toBe('echo {"polluted":"yes"}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('a pipeline variable named constructor is an ordinary variable', async () => {
    const r = await compileJson(
      {
        'templates/t.yaml': template(`    other: {type: string, default: x}`, `echo <+pipeline.variables.constructor>`),
        'p.yaml': user('{other: y}', '  variables:\n    - {name: constructor, type: String, value: <+input>}\n'),
      },
      ['--set', 'pipeline.variables.constructor=built'],
    );
    expect(r.out.diagnostics).toEqual([]);
    expect(r.out.plans[0]!.steps[0]!.command).toBe('echo built');
  });
});

describe('--set', () => {
  const pipeline = (variables: string) => onePipeline(echoVariableStep, `  variables:\n${variables}\n`);
  // A refused value leaves its input without one: PW3010 follows every PW3016.
  const run = async (variables: string, ...sets: string[]) => {
    const dir = tempDir({ 'p.yaml': pipeline(variables) });
    const r = await runCli(['compile', 'p.yaml', '--json', ...sets.flatMap((s) => ['--set', s])], dir);
    let out: CompileJson | undefined;
    try {
      out = JSON.parse(r.stdout) as CompileJson;
    } catch {
      out = undefined;
    }
    return { ...r, out };
  };
  const stringVar = '    - {name: x, type: String, value: <+input>}';
  const numberVar = '    - {name: x, type: Number, value: <+input>}';

  test('a self-referencing alias is a located PW3xxx, exit 2, no internal error', async () => {
    const r = await run(stringVar, 'pipeline.variables.x=&a [*a]');
    expect(r.stderr).not.toMatch(/internal error|Maximum call stack/);
    expect(r.code).toBe(2);
    expect(r.out!.diagnostics.map((d) => d.code)).toEqual(['PW3016', 'PW3010']);
    expect(r.out!.diagnostics[0]!.file).toBe('--set pipeline.variables.x');
  });

  test('a self-referencing alias into a variable of no declared type is refused as well', async () => {
    const r = await run('    - {name: x, value: <+input>}', 'pipeline.variables.x=&a [*a]');
    expect(r.code).toBe(2);
    expect(r.out!.diagnostics.map((d) => d.code)).toEqual(['PW3016', 'PW3010']);
  });

  test('a mapping into a String variable is an error, not JSON text', async () => {
    const r = await run(stringVar, 'pipeline.variables.x={a: 1}');
    expect(r.code).toBe(2);
    expect(r.out!.diagnostics.map((d) => d.code)).toEqual(['PW3016', 'PW3010']);
    expect(r.out!.diagnostics[0]!.message).toMatch(/String/);
  });

  test('a String variable takes the text as written', async () => {
    const r = await run(stringVar, 'pipeline.variables.x=007');
    expect(r.code).toBe(0);
    expect((r.out!.plans[0]!.steps[0] as RunStep).command).toBe('echo 007');
    const t = await run(stringVar, 'pipeline.variables.x=true');
    expect(t.out!.plans[0]!.pipeline.variables).toEqual({ x: 'true' });
  });

  test('1e400 into a Number variable is an error, not Infinity', async () => {
    const r = await run(numberVar, 'pipeline.variables.x=1e400');
    expect(r.code).toBe(2);
    expect(r.out!.diagnostics.map((d) => d.code)).toEqual(['PW3016', 'PW3010']);
  });

  test('a Number variable takes a number; text is refused', async () => {
    const ok = await run(numberVar, 'pipeline.variables.x=42');
    expect(ok.code).toBe(0);
    expect(ok.out!.plans[0]!.pipeline.variables).toEqual({ x: 42 });
    const bad = await run(numberVar, 'pipeline.variables.x=lots');
    expect(bad.code).toBe(2);
    expect(bad.out!.diagnostics.map((d) => d.code)).toEqual(['PW3016', 'PW3010']);
  });

  test.each([
    'pipeline.constructor.name',
    'pipeline.toString',
    'pipeline.__proto__.x',
    'pipeline.variables.x.constructor',
    'pipeline.stages.s.constructor',
    'pipeline.stages.s.spec.execution.steps.r.spec.toString',
  ])('the path %s follows own properties only (PW3015)', async (path) => {
    const r = await run(stringVar, 'pipeline.variables.x=ok', `${path}=v`);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(2);
    expect(r.out!.diagnostics.map((d) => d.code)).toEqual(['PW3015']);
    // Not found, rather than found on a prototype and then refused as no runtime input.
    expect(r.out!.diagnostics[0]!.message).toMatch(/^no '/);
  });
});

describe('publish', () => {
  test('a template with a required input named __proto__ publishes like any other name', async () => {
    const { default: request } = await import('supertest');
    const { bearer, bootRegistry } = await import('../registry/fixtures.js');
    const r = bootRegistry();
    const yaml = `template:\n  name: p\n  identifier: p\n  versionLabel: "1.0.0"\n  type: Step\n  inputs:\n    __proto__: {type: string}\n  spec:\n    type: Run\n    spec:\n      shell: Sh\n      command: "echo {{inputs.__proto__}}"\n`;
    const res = await request(r.app).put('/api/v1/templates/account.p/versions/1.0.0').set(bearer(r.tokens.publish)).send({ yaml });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });
});
