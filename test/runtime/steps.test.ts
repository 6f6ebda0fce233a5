import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { validator } from '../../schemas/index.js';
import { alive, pipeline, readPid, runYaml } from './harness.js';

const step = (id: string, command: string, extra = '', shell = 'Sh', spec = '') => `              - step:
                  type: Run
                  name: ${id}
                  identifier: ${id}
${extra}                  spec:
                    shell: ${shell}
${spec}                    command: |
${command
  .split('\n')
  .map((l) => `                      ${l}`)
  .join('\n')}
`;
const strategy = (action: string) =>
  `                  failureStrategies:\n                    - onFailure:\n                        errors: [AllErrors]\n                        action: ${action}\n`;

describe('run steps on the host', () => {
  test('output variables flow between sh, bash and python steps; the report is valid', async () => {
    const r = await runYaml(
      pipeline(
        step(
          'a',
          'export VERSION=1.2.3\nexport EMPTY=',
          '',
          'Sh',
          '                    outputVariables: [{name: VERSION}, {name: EMPTY}]\n',
        ) +
          step(
            'b',
            'TAG="v<+steps.a.output.outputVariables.VERSION>-$(uname -s)"\nexport TAG\nexit 0',
            '',
            'Bash',
            '                    outputVariables: [{name: TAG}]\n',
          ) +
          step(
            'c',
            "import os\nos.environ['FROM_PY'] = os.environ['T'] + '!'",
            '',
            'Python',
            '                    envVariables: {T: "<+steps.b.output.outputVariables.TAG>"}\n                    outputVariables: [{name: FROM_PY}]\n',
          ) +
          step('d', 'echo "final <+steps.c.output.outputVariables.FROM_PY>"'),
      ),
    );
    expect(r.report.status).toBe('success');
    expect(r.step('s.a').outputs).toEqual({ VERSION: '1.2.3', EMPTY: '' });
    expect(r.step('s.b').outputs).toEqual({ TAG: 'v1.2.3-Linux' });
    expect(r.out).toMatch(/\[s\.d\] final v1\.2\.3-Linux!/);
    expect(validator('report')(r.report), JSON.stringify(validator('report').errors)).toBe(true);
    expect(JSON.parse(readFileSync(`${r.runner.runDir}/report.json`, 'utf8'))).toEqual(r.report);
  });

  test('a timeout kills the whole process group and fails with error type Timeout', async () => {
    const r = await runYaml(pipeline(step('slow', 'sleep 300 & echo $! > child.pid\nwait', '                  timeout: 500ms\n')), {
      graceMs: 200,
    });
    expect(r.step('s.slow')).toMatchObject({ status: 'failed', errorType: 'Timeout' });
    expect(alive(readPid(r.dir, 'child.pid'))).toBe(false);
  });

  test.each([
    ['Abort', '{type: Abort}', 'failed', 'failed', 'skipped'],
    ['Ignore', '{type: Ignore}', 'success', 'failed', 'success'],
    ['MarkAsSuccess', '{type: MarkAsSuccess}', 'success', 'success', 'success'],
    ['MarkAsFailure', '{type: MarkAsFailure}', 'failed', 'failed', 'skipped'],
  ])('failure strategy %s', async (_name, action, pipelineStatus, stepStatus, nextStatus) => {
    const r = await runYaml(pipeline(step('bad', 'exit 7', strategy(action)) + step('next', 'echo next')));
    expect(r.report.status).toBe(pipelineStatus);
    expect(r.step('s.bad')).toMatchObject({ status: stepStatus, exitCode: 7 });
    expect(r.step('s.next').status).toBe(nextStatus);
  });

  test('Retry: retries with intervals, then onRetryFailure decides', async () => {
    const flaky = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count\n[ $n -ge 3 ]';
    const ok = await runYaml(
      pipeline(step('flaky', flaky, strategy('{type: Retry, spec: {retryCount: 3, retryIntervals: [50ms, 100ms]}}'))),
    );
    expect(ok.step('s.flaky')).toMatchObject({ status: 'success', attempts: 3 });
    const giveUp = await runYaml(
      pipeline(
        step(
          'never',
          'exit 1',
          strategy('{type: Retry, spec: {retryCount: 2, retryIntervals: [10ms], onRetryFailure: {action: {type: Ignore}}}}'),
        ) + step('next', 'echo next'),
      ),
    );
    expect(giveUp.step('s.never')).toMatchObject({ status: 'failed', failureIgnored: true, attempts: 3 });
    expect(giveUp.report.status).toBe('success');
  });

  test('failure strategies match on error type: a Timeout rule does not catch an exit code', async () => {
    const rule = '                  failureStrategies:\n                    - onFailure: {errors: [Timeout], action: {type: Ignore}}\n';
    const r = await runYaml(pipeline(step('bad', 'exit 2', rule)));
    expect(r.report.status).toBe('failed');
    const t = await runYaml(pipeline(step('slow', 'sleep 5', rule + '                  timeout: 200ms\n')), { graceMs: 100 });
    expect(t.report.status).toBe('success');
    expect(t.step('s.slow')).toMatchObject({ errorType: 'Timeout', failureIgnored: true });
  });

  test('secrets resolve from the run and never appear in logs, outputs or the report', async () => {
    const r = await runYaml(
      pipeline(
        step(
          'leak',
          'echo "token is $TOKEN and <+secrets.getValue(\'api_key\')>"\nexport OUT="prefix-$TOKEN"',
          '',
          'Sh',
          '                    envVariables: {TOKEN: <+secrets.getValue("api_key")>}\n                    outputVariables: [{name: OUT}]\n',
        ),
      ),
      { secrets: { api_key: 's3cr3t-value-42' } },
    );
    expect(r.report.status).toBe('success');
    expect(r.out).toMatch(/token is \*{14} and \*{14}/);
    expect(r.out).not.toContain('s3cr3t-value-42');
    expect(readFileSync(r.step('s.leak').log!, 'utf8')).not.toContain('s3cr3t');
    expect(JSON.stringify(r.report)).not.toContain('s3cr3t');
    expect(r.step('s.leak').outputs).toEqual({ OUT: 'prefix-**************' });
    const missing = await runYaml(pipeline(step('x', 'echo <+secrets.getValue("nope")>')));
    expect(missing.step('s.x').error).toMatch(/secret 'nope' is not defined/);
  });

  test('parallel steps really overlap; the next step waits for all of them', async () => {
    // Each waits (at most 10 s) until all three have started: run one at a time, none could end well.
    const barrier = 'for i in $(seq 200); do [ -e start1 ] && [ -e start2 ] && [ -e start3 ] && exit 0; sleep 0.05; done; exit 1';
    const par = `              - parallel:\n${[1, 2, 3]
      .map((i) =>
        step(`p${i}`, `touch start${i}\n${barrier}`)
          .replace(/^ {14}- step:/, '                  - step:')
          .replace(/\n {16}/g, '\n                    '),
      )
      .join('')}`;
    const r = await runYaml(pipeline(par + step('join', 'ls start1 start2 start3 > /dev/null && echo joined')));
    expect(r.report.status).toBe('success');
    expect(r.out).toMatch(/\[s\.join\] joined/);
  });

  test('conditions and stageStatus decide which steps run; skipped steps are reported', async () => {
    const r = await runYaml(
      pipeline(
        step('produce', 'export ENV=prod', '', 'Sh', '                    outputVariables: [{name: ENV}]\n') +
          step(
            'onprod',
            'echo prod',
            '                  when: {stageStatus: Success, condition: <+steps.produce.output.outputVariables.ENV> == "prod" && <+pipeline.variables.n> > 2}\n',
          ) +
          step(
            'ondev',
            'echo dev',
            '                  when: {stageStatus: Success, condition: <+steps.produce.output.outputVariables.ENV> == "dev"}\n',
          ) +
          step('fail', 'exit 1') +
          step('cleanup', 'echo cleanup', '                  when: {stageStatus: Failure}\n') +
          step('always', 'echo always', '                  when: {stageStatus: All}\n') +
          step('normal', 'echo normal'),
        '  variables:\n    - {name: n, type: Number, value: 3}\n',
      ),
    );
    const status = Object.fromEntries(r.report.steps.map((s) => [s.id.slice(2), s.status]));
    expect(status).toEqual({
      produce: 'success',
      onprod: 'success',
      ondev: 'skipped',
      fail: 'failed',
      cleanup: 'success',
      always: 'success',
      normal: 'skipped',
    });
    expect(r.step('s.ondev').error).toMatch(/condition is false: "prod" == "dev"/);
  });

  test('a later stage with when Failure runs only after a failure', async () => {
    const stages = (cmd: string) =>
      `pipeline:\n  name: t\n  identifier: t\n  stages:\n    - stage: {name: a, identifier: a, type: CI, spec: {execution: {steps: [{step: {type: Run, name: x, identifier: x, spec: {command: "${cmd}"}}}]}}}\n    - stage: {name: b, identifier: b, type: CI, when: {pipelineStatus: Failure}, spec: {execution: {steps: [{step: {type: Run, name: x, identifier: x, spec: {command: echo b}}}]}}}\n    - stage: {name: c, identifier: c, type: CI, spec: {execution: {steps: [{step: {type: Run, name: x, identifier: x, spec: {command: echo c}}}]}}}\n`;
    const ok = await runYaml(stages('true'));
    expect(ok.report.stages.map((s) => s.status)).toEqual(['success', 'skipped', 'success']);
    const bad = await runYaml(stages('false'));
    expect(bad.report.stages.map((s) => s.status)).toEqual(['failed', 'success', 'skipped']);
  });

  test('a step with a missing shell is a clear failure, not a crash', async () => {
    const r = await runYaml(pipeline(step('ps', 'Write-Host hi', '', 'Pwsh')));
    if (r.step('s.ps').status === 'failed') expect(r.step('s.ps').error).toMatch(/needs PowerShell \(pwsh\)/);
  });
});
