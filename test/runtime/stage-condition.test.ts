/**
 * A stage's `when.condition` decides whether it runs, as a step's does (the runtime checked
 * only the stage's status and ran a stage whose condition was false). A condition still
 * holding references the runtime cannot resolve fails that stage, saying so, rather than
 * running it as if it were true.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

const pipeline = (condition: string) => `pipeline:
  name: p
  identifier: p
  variables:
    - {name: targets, type: String, value: <+input>}
  stages:
    - stage:
        name: deploy
        identifier: deploy
        type: CI
        when:
          pipelineStatus: Success
          condition: ${condition}
        strategy:
          matrix:
            env: [dev, prod]
        spec:
          execution:
            steps:
              - step: {type: Run, name: r, identifier: r, spec: {command: echo ran <+matrix.env>}}
`;

interface Report {
  stages: { id: string; status: string }[];
  steps: { id: string; status: string; error?: string }[];
}

/** Runs `target` in `dir`, with its report. */
async function runIn(
  dir: string,
  args: string[],
  target = 'p.yaml',
): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  const r = await runCli(['run', target, '--workspace', '.', '--home', 'h', '--report', 'report.json', ...args], dir);
  return { code: r.code, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report, stdout: r.stdout, stderr: r.stderr };
}

const run = (condition: string, ...args: string[]) => runIn(tempDir({ 'p.yaml': pipeline(condition) }), ['--quiet', ...args]);

describe('a stage condition', () => {
  test('false: the stage is skipped; true: it runs', async () => {
    const r = await run('<+pipeline.variables.targets>.contains("<+matrix.env>")', '--set', 'pipeline.variables.targets=dev');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.stages.map((s) => `${s.id}:${s.status}`)).toEqual(['deploy_0:success', 'deploy_1:skipped']);
    expect(r.report.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['deploy_0.r:success', 'deploy_1.r:skipped']);
  }, 30_000);

  test('holding a reference the runtime cannot resolve (a --partial plan without its mark): the stage fails, saying so, never runs as if true', async () => {
    const dir = tempDir({ 'p.yaml': pipeline('<+pipeline.variables.targets>.contains("<+matrix.env>")') });
    expect((await runCli(['compile', 'p.yaml', '--partial', '-o', 'plan.json'], dir)).code).toBe(0);
    // run refuses a plan marked partial; one edited to drop the mark still never runs the stage.
    expect((await runCli(['run', 'plan.json', '--workspace', '.', '--home', 'h', '--quiet'], dir)).code).toBe(2);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { partial?: boolean };
    delete plan.partial;
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    const r = await runIn(dir, ['--quiet'], 'plan.json');
    const report = r.report;
    expect(r.code).toBe(1);
    expect(report.stages.map((s) => `${s.id}:${s.status}`)).toEqual(['deploy_0:failed', 'deploy_1:failed']); // matrix copies of a stage start together
    expect(report.steps[0]).toMatchObject({ id: 'deploy_0.r', status: 'skipped' });
    expect(report.steps[0]!.error).toMatch(/stage condition holds references the runtime cannot resolve: <\+input>\.contains\("dev"\)/);
  }, 30_000);

  test("using an earlier stage's output through a pipeline variable: evaluated when the stage starts, with that output", async () => {
    const stage = (id: string, env: string) => `    - stage:
        name: ${id}
        identifier: ${id}
        type: CI
        when: {pipelineStatus: Success, condition: <+pipeline.variables.targets>.contains("${env}")}
        spec: {execution: {steps: [{step: {type: Run, name: r, identifier: r, spec: {command: echo deploying to <+pipeline.variables.targets>}}}]}}
`;
    const dir = tempDir({
      'p.yaml': `pipeline:
  name: p
  identifier: p
  variables:
    - {name: targets, type: String, value: <+pipeline.stages.discover.spec.execution.steps.list.output.outputVariables.TARGETS>}
  stages:
    - stage:
        name: discover
        identifier: discover
        type: CI
        spec: {execution: {steps: [{step: {type: Run, name: list, identifier: list, spec: {command: TARGETS=dev-eu, outputVariables: [{name: TARGETS}]}}}]}}
${stage('dev', 'dev')}${stage('qa', 'qa')}`,
    });
    const r = await runIn(dir, []);
    const report = r.report;
    expect(r.code, r.stderr).toBe(0);
    expect(report.stages.map((s) => `${s.id}:${s.status}`)).toEqual(['discover:success', 'dev:success', 'qa:skipped']);
    expect(r.stdout).toContain('deploying to dev-eu');
  }, 30_000);

  test('on an output that never came (its step was skipped): the stage fails, saying so, never runs as if the output were empty', async () => {
    const dir = tempDir({
      'p.yaml': `pipeline:
  name: p
  identifier: p
  variables:
    - {name: targets, type: String, value: <+pipeline.stages.discover.spec.execution.steps.list.output.outputVariables.TARGETS>}
  stages:
    - stage:
        name: discover
        identifier: discover
        type: CI
        spec: {execution: {steps: [{step: {type: Run, name: list, identifier: list, when: {stageStatus: Success, condition: "false"}, spec: {command: TARGETS=prod, outputVariables: [{name: TARGETS}]}}}]}}
    - stage:
        name: deploy
        identifier: deploy
        type: CI
        when: {pipelineStatus: Success, condition: <+pipeline.variables.targets> != "prod"}
        spec: {execution: {steps: [{step: {type: Run, name: r, identifier: r, spec: {command: echo DEPLOYING}}}]}}
`,
    });
    const r = await runIn(dir, []);
    const report = r.report;
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('DEPLOYING');
    expect(report.stages.map((s) => `${s.id}:${s.status}`)).toEqual(['discover:success', 'deploy:failed']);
    expect(report.steps.find((s) => s.id === 'deploy.r')!.error).toMatch(/cannot resolve/);
  }, 30_000);
});
