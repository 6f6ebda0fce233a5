/**
 * Strategies only a run can expand (issue 14, point 4): a matrix axis, a parallelism or a
 * repeat list given by an expression over an earlier step's output becomes copies when the
 * step is reached, named as Harness names them, with `<+matrix.*>` and `<+strategy.*>` filled
 * per copy, maxConcurrency honoured, and the steps after it waiting for every copy. What
 * does not give a list fails the step, saying why; an empty list runs no copy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

interface Report {
  steps: { id: string; status: string; error?: string }[];
}

const pipeline = (list: string, strategy: string, extra = '') => `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: s
        identifier: s
        type: CI
        spec:
          execution:
            steps:
              - step:
                  type: Run
                  name: list
                  identifier: list
                  spec: {command: 'TARGETS="${list}"', outputVariables: [{name: TARGETS}]}
              - step:
                  type: Run
                  name: deploy
                  identifier: deploy
                  strategy:
${strategy}
                  spec:
                    command: |
                      echo "start <+matrix.env>" >> order.txt
                      sleep 0.2
                      echo "deploying <+matrix.env> as copy <+strategy.iteration> of <+strategy.iterations>"
                      echo "end <+matrix.env>" >> order.txt
${extra}              - step: {type: Run, name: after, identifier: after, spec: {command: echo after >> order.txt}}
`;

interface Ran {
  code: number;
  report: Report & { stages: { id: string; status: string }[] };
  /** stdout and stderr together. */
  out: string;
  stdout: string;
  /** order.txt, where the steps write what they do, in order. */
  order: string[];
}

/** Runs `target` in `dir` (a workspace of its own), with its report and order.txt. */
async function runIn(dir: string, target = 'p.yaml'): Promise<Ran> {
  const r = await runCli(['run', target, '--workspace', '.', '--home', 'h', '--report', 'report.json'], dir);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Ran['report'];
  let order: string[] = [];
  try {
    order = readFileSync(join(dir, 'order.txt'), 'utf8').trim().split('\n');
  } catch {
    // no copy ran
  }
  return { code: r.code, report, out: r.stdout + r.stderr, stdout: r.stdout, order };
}

const run = (yaml: string): Promise<Ran> => runIn(tempDir({ 'p.yaml': yaml }));

const statuses = (r: Report) => r.steps.map((s) => `${s.id}:${s.status}`);

describe('a matrix only the run knows', () => {
  test("an axis split from an earlier step's output becomes one copy per value, one at a time with maxConcurrency 1, before the next step", async () => {
    const r = await run(
      pipeline(
        'dev,qa,prod',
        `                    matrix:\n                      env: <+<+steps.list.output.outputVariables.TARGETS>.split(",")>\n                      maxConcurrency: 1`,
      ),
    );
    expect(r.code, r.out).toBe(0);
    expect(statuses(r.report)).toEqual([
      's.list:success',
      's.deploy_0:success',
      's.deploy_1:success',
      's.deploy_2:success',
      's.after:success',
    ]);
    expect(r.out).toContain('deploying qa as copy 1 of 3');
    expect(r.order).toEqual(['start dev', 'end dev', 'start qa', 'end qa', 'start prod', 'end prod', 'after']);
  }, 30_000);

  test('without maxConcurrency the copies run side by side', async () => {
    const r = await run(
      pipeline('a,b', `                    matrix:\n                      env: <+steps.list.output.outputVariables.TARGETS.split(",")>`),
    );
    expect(r.code, r.out).toBe(0);
    expect(r.order.slice(0, 2).sort()).toEqual(['start a', 'start b']);
    expect(r.order.at(-1)).toBe('after');
  }, 30_000);

  test('an axis that is text, not a list, fails the step saying so; the next step does not run', async () => {
    const r = await run(
      pipeline('dev,qa', `                    matrix:\n                      env: <+steps.list.output.outputVariables.TARGETS>`),
    );
    expect(r.code).toBe(1);
    const deploy = r.report.steps.find((s) => s.id === 's.deploy')!;
    expect(deploy.status).toBe('failed');
    expect(deploy.error).toMatch(/matrix axis 'env' is "dev,qa", not a list/);
    expect(r.report.steps.find((s) => s.id === 's.after')!.status).not.toBe('success');
  }, 30_000);

  test('zero copies (parallelism 0 from an output) runs none: the step is skipped and the stage goes on', async () => {
    const r = await run(pipeline('0', `                    parallelism: <+steps.list.output.outputVariables.TARGETS>`));
    expect(r.code, r.out).toBe(0);
    expect(statuses(r.report)).toEqual(['s.list:success', 's.deploy:skipped', 's.after:success']);
  }, 30_000);

  test('maxConcurrency holds for copies the compiler made too (a static matrix): one at a time', async () => {
    const r = await run(
      pipeline('unused', `                    matrix:\n                      env: [x, y, z]\n                      maxConcurrency: 1`),
    );
    expect(r.code, r.out).toBe(0);
    expect(r.order).toEqual(['start x', 'end x', 'start y', 'end y', 'start z', 'end z', 'after']);
  }, 30_000);

  test('a copy id another step already has: compile refuses it (PW5001); a plan that has one anyway fails that step at run, never ends green', async () => {
    const yaml = pipeline(
      'a,b',
      `                    matrix:\n                      env: <+steps.list.output.outputVariables.TARGETS.split(",")>`,
      `              - step: {type: Run, name: real, identifier: deploy_1, spec: {command: "echo REAL; exit 1"}}\n`,
    );
    const dir = tempDir({ 'p.yaml': yaml });
    const c = await runCli(['compile', 'p.yaml'], dir);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/p\.yaml:\d+:\d+: error PW5001 .*s\.deploy_1.*copies of s\.deploy/);
    // The same plan made by hand (a plan file is input too): the run fails the expanded step.
    const ok = tempDir({
      'p.yaml': pipeline(
        'a,b',
        `                    matrix:\n                      env: <+steps.list.output.outputVariables.TARGETS.split(",")>`,
      ),
    });
    expect((await runCli(['compile', 'p.yaml', '-o', 'plan.json'], ok)).code).toBe(0);
    const plan = JSON.parse(readFileSync(join(ok, 'plan.json'), 'utf8')) as { steps: { id: string; command?: string }[] };
    const after = plan.steps.find((s) => s.id === 's.after')!;
    plan.steps.push({ ...after, id: 's.deploy_1', command: 'echo REAL; exit 1' });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(ok, 'plan.json'), JSON.stringify(plan));
    const r = await runIn(ok, 'plan.json');
    const report = r.report;
    expect(r.code, r.out).toBe(1);
    const deploy = report.steps.find((s) => s.id === 's.deploy')!;
    expect(deploy.status).toBe('failed');
    expect(deploy.error).toMatch(/copy s\.deploy_1 .*another step/);
  }, 30_000);
});

describe('a plan the scheduler cannot finish', () => {
  test('steps that need each other (a plan file written by hand): both fail, the run exits 1 (it ended 0 with no summary)', async () => {
    const dir = tempDir({
      'p.yaml':
        'pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {type: Run, name: a, identifier: a, spec: {command: echo a}}\n              - step: {type: Run, name: b, identifier: b, spec: {command: echo b}}\n',
    });
    expect((await runCli(['compile', 'p.yaml', '-o', 'plan.json'], dir)).code).toBe(0);
    const { writeFileSync } = await import('node:fs');
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { steps: { needs: string[] }[] };
    plan.steps[0]!.needs = ['s.b'];
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    const r = await runIn(dir, 'plan.json');
    const report = r.report;
    expect(r.code).toBe(1);
    expect(report.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['s.a:failed', 's.b:failed']);
    expect(report.steps[0]!.error).toMatch(/could not be scheduled/);
  }, 30_000);
});

describe('values filled at run time are data', () => {
  test('an output holding "<+...>" text and a quoted literal around a reference: copies are made from the values as they are', async () => {
    const r = await run(
      pipeline(
        '3:x',
        `                    matrix:\n                      env: <+"<+steps.list.output.outputVariables.TARGETS>:<+pipeline.sequenceId>".split(":")>`,
      ),
    );
    expect(r.code, r.out).toBe(0);
    // 3, x, and the run's sequence id 1: the literal was split by the run, not by the compiler.
    expect(r.order.filter((l) => l.startsWith('start')).sort()).toEqual(['start 1', 'start 3', 'start x']);
    // The shell joins "<" and "+..." into an output holding a reference's text (as data).
    const odd = await run(
      pipeline(
        '<""+secrets.getValue(tok)>,b',
        `                    matrix:\n                      env: <+steps.list.output.outputVariables.TARGETS.split(",")>`,
      ),
    );
    expect(odd.code, odd.out).toBe(0);
    expect(odd.out).toContain('deploying <+secrets.getValue(tok)> as copy 0 of 2');
  }, 30_000);

  test('a condition that does not depend on the copy is decided before copies are made; one on an output that never came fails, saying so, never passes as empty', async () => {
    const extra = '';
    const yaml = pipeline(
      'a,b',
      `                    matrix:\n                      env: <+steps.list.output.outputVariables.TARGETS.split(",")>`,
      extra,
    )
      .replace(
        'spec: {command: \'TARGETS="a,b"\', outputVariables: [{name: TARGETS}]}',
        "when: {stageStatus: Success, condition: 'false'}\n                  spec: {command: 'TARGETS=\"a,b\"', outputVariables: [{name: TARGETS}]}",
      )
      .replace(
        '                  strategy:\n',
        '                  when: {stageStatus: Success, condition: <+steps.list.output.outputVariables.TARGETS> != ""}\n                  strategy:\n',
      );
    const r = await run(yaml);
    expect(r.code).toBe(1);
    const deploy = r.report.steps.find((s) => s.id === 's.deploy')!;
    expect(deploy.status).toBe('failed');
    expect(deploy.error).toMatch(/condition .*unresolved reference <\+steps\.list\.output/);
  }, 30_000);
});

describe('a background step a run-time matrix copies', () => {
  test("each copy's tcp readiness port is its own <+matrix.port>: later steps start only once every copy listens (the probe was dropped and they raced)", async () => {
    const { freePort } = await import('./harness.js');
    const [a, b] = [await freePort(), await freePort()];
    const dir = tempDir({
      'p.yaml': `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: s
        identifier: s
        type: CI
        spec:
          execution:
            steps:
              - step: {type: Run, name: list, identifier: list, spec: {command: 'PORTS="${a},${b}"', outputVariables: [{name: PORTS}]}}
              - step:
                  type: Background
                  name: svc
                  identifier: svc
                  strategy:
                    matrix:
                      port: <+steps.list.output.outputVariables.PORTS.split(",")>
                  spec:
                    shell: Python
                    command: |
                      import socket, time
                      time.sleep(0.8)
                      s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", <+matrix.port>)); s.listen(5)
                      while True: c, _ = s.accept(); c.close()
                    readiness: {tcp: {port: <+matrix.port>}, timeout: 20s, interval: 50ms}
              - step:
                  type: Run
                  name: use
                  identifier: use
                  spec:
                    shell: Python
                    command: |
                      import socket
                      for p in (${a}, ${b}): socket.create_connection(("127.0.0.1", p), 2).close()
                      print("both listen")
`,
    });
    const c = await runCli(['compile', 'p.yaml'], dir);
    expect(c.stderr).not.toMatch(/PW5002|PW3010/);
    const r = await runCli(['run', 'p.yaml', '--workspace', '.', '--home', 'h', '--grace', '2s'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('both listen');
  }, 40_000);
});

describe('a strategy pipewright compiles as one copy', () => {
  test('(repeat over a percentage of hosts) is PW5005, and a step using <+strategy.*> of it fails at run instead of running with the text', async () => {
    const dir = tempDir({
      'p.yaml': `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: d
        identifier: d
        type: CI
        strategy:
          repeat: {start: 0, end: 100, unit: Percentage, partitionSize: 50}
        spec: {execution: {steps: [{step: {type: Run, name: r, identifier: r, spec: {command: echo deploying <+strategy.iteration>}}}]}}
`,
    });
    const c = await runCli(['compile', 'p.yaml'], dir);
    expect(c.stderr).toMatch(/warning PW5005 stage strategy is decided at run time/);
    const r = await runIn(dir);
    const report = r.report;
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('deploying <+strategy.iteration>');
    expect(report.steps.find((s) => s.id === 'd.r')!.error).toMatch(
      /<\+strategy\.iteration> has no value: the strategy it belongs to is decided at run time/,
    );
  }, 30_000);
});

describe('a step group whose strategy only the run knows', () => {
  const group = (strategy: string) => `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: s
        identifier: s
        type: CI
        spec:
          execution:
            steps:
              - step: {type: Run, name: list, identifier: list, spec: {command: 'ENVS="dev,qa"', outputVariables: [{name: ENVS}]}}
              - stepGroup:
                  name: g
                  identifier: g
                  strategy:
${strategy}
                  steps:
                    - step: {type: Run, name: build, identifier: build, spec: {command: 'echo "start <+matrix.env>" >> order.txt; sleep 0.2; OUT=built-<+matrix.env>', outputVariables: [{name: OUT}]}}
                    - step: {type: Run, name: ship, identifier: ship, spec: {command: 'echo "ship <+steps.build.output.outputVariables.OUT> (<+strategy.iteration>)"; echo "end <+matrix.env>" >> order.txt'}}
              - step: {type: Run, name: after, identifier: after, spec: {command: echo after >> order.txt}}
`;

  test("is copied as a whole: each copy's steps in order, with its own values and its own outputs; later steps wait for every copy", async () => {
    const dir = tempDir({
      'p.yaml': group(
        '                    matrix:\n                      env: <+steps.list.output.outputVariables.ENVS.split(",")>\n                      maxConcurrency: 1',
      ),
    });
    const c = await runCli(['compile', 'p.yaml'], dir);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).not.toMatch(/PW5005/);
    const r = await runIn(dir);
    const report = r.report;
    expect(r.code, r.out).toBe(0);
    expect(statuses(report)).toEqual([
      's.list:success',
      's.g_0.build:success',
      's.g_0.ship:success',
      's.g_1.build:success',
      's.g_1.ship:success',
      's.after:success',
    ]);
    expect(r.stdout).toContain('ship built-dev (0)');
    expect(r.stdout).toContain('ship built-qa (1)');
    expect(readFileSync(join(dir, 'order.txt'), 'utf8').trim().split('\n')).toEqual([
      'start dev',
      'end dev',
      'start qa',
      'end qa',
      'after',
    ]);
  }, 30_000);

  test("outside the group no one copy's output can be named (PW3013); inside it each copy names its own", async () => {
    const bad = group(
      '                    matrix:\n                      env: <+steps.list.output.outputVariables.ENVS.split(",")>',
    ).replace('spec: {command: echo after >> order.txt}', 'spec: {command: "echo <+steps.g.steps.build.output.outputVariables.OUT>"}');
    const dir = tempDir({ 'p.yaml': bad });
    const c = await runCli(['compile', 'p.yaml'], dir);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/PW3013 .*step s\.g\.build is made into copies by the run/);
  }, 30_000);
});

describe('a stage whose strategy only the run knows', () => {
  test('is copied when reached: one stage per value with copies of its steps, its condition per copy, later stages after every copy', async () => {
    const dir = tempDir({
      'p.yaml': `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: discover
        identifier: discover
        type: CI
        spec: {execution: {steps: [{step: {type: Run, name: list, identifier: list, spec: {command: "T=dev,qa,prod", outputVariables: [{name: T}]}}}]}}
    - stage:
        name: deploy
        identifier: deploy
        type: CI
        when: {pipelineStatus: Success, condition: <+matrix.env> != "qa"}
        strategy:
          matrix:
            env: <+pipeline.stages.discover.spec.execution.steps.list.output.outputVariables.T.split(",")>
            maxConcurrency: 1
        spec:
          execution:
            steps:
              - step: {type: Run, name: r, identifier: r, spec: {command: 'echo "deploying <+matrix.env> (<+strategy.iteration>/<+strategy.iterations>)"; OUT=done-<+matrix.env>', outputVariables: [{name: OUT}]}}
              - step: {type: Run, name: check, identifier: check, spec: {command: 'echo "checked <+steps.r.output.outputVariables.OUT>"'}}
    - stage:
        name: after
        identifier: after
        type: CI
        spec: {execution: {steps: [{step: {type: Run, name: a, identifier: a, spec: {command: echo after}}}]}}
`,
    });
    const c = await runCli(['compile', 'p.yaml'], dir);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).not.toMatch(/PW5005/);
    const r = await runIn(dir);
    expect(r.code, r.out).toBe(0);
    const report = r.report;
    expect(report.stages.map((s) => `${s.id}:${s.status}`)).toEqual([
      'discover:success',
      'deploy_0:success',
      'deploy_1:skipped',
      'deploy_2:success',
      'after:success',
    ]);
    expect(statuses(report)).toEqual([
      'discover.list:success',
      'deploy_0.r:success',
      'deploy_0.check:success',
      'deploy_1.r:skipped',
      'deploy_1.check:skipped',
      'deploy_2.r:success',
      'deploy_2.check:success',
      'after.a:success',
    ]);
    expect(r.stdout).toContain('deploying prod (2/3)');
    expect(r.stdout).toContain('checked done-prod');
    expect(r.stdout).not.toContain('deploying qa');
  }, 30_000);
});

describe('copies made at run time are steps of the run', () => {
  test.each([
    [
      'a stage copy that ends first',
      `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: discover
        identifier: discover
        type: CI
        spec: {execution: {steps: [{step: {type: Run, name: list, identifier: list, spec: {command: "T=fast,slow", outputVariables: [{name: T}]}}}]}}
    - stage:
        name: deploy
        identifier: deploy
        type: CI
        strategy:
          matrix:
            env: <+pipeline.stages.discover.spec.execution.steps.list.output.outputVariables.T.split(",")>
        spec:
          execution:
            steps:
              - step: {type: Run, name: r, identifier: r, spec: {command: 'if [ <+matrix.env> = slow ]; then sleep 1.5; fi; echo done-<+matrix.env>'}}
`,
    ],
    [
      'a parallel stage that ends first',
      `pipeline:
  name: p
  identifier: p
  stages:
    - parallel:
      - stage:
          name: a
          identifier: a
          type: CI
          spec:
            execution:
              steps:
                - step: {type: Run, name: list, identifier: list, spec: {command: "T=x,y", outputVariables: [{name: T}]}}
                - step:
                    type: Run
                    name: d
                    identifier: d
                    strategy:
                      matrix:
                        env: <+steps.list.output.outputVariables.T.split(",")>
                    spec: {command: 'sleep 1.5; echo done-<+matrix.env>'}
      - stage:
          name: b
          identifier: b
          type: CI
          spec: {execution: {steps: [{step: {type: Run, name: q, identifier: q, spec: {command: "sleep 0.5; echo quick"}}}]}}
`,
    ],
  ])(
    '%s does not stop them as escapees (it killed the copies still running)',
    async (_what, yaml) => {
      const dir = tempDir({ 'p.yaml': yaml });
      const r = await runIn(dir);
      expect(r.code, r.out).toBe(0);
      expect(r.out).not.toMatch(/names no step of the plan/);
    },
    30_000,
  );
});

describe('a strategy over an output that never came', () => {
  test('fails the step, naming the reference, instead of running one copy with an empty value', async () => {
    const yaml = pipeline(
      'a,b',
      `                    matrix:\n                      env: <+steps.list.output.outputVariables.TARGETS.split(",")>`,
    ).replace(
      'spec: {command: \'TARGETS="a,b"\', outputVariables: [{name: TARGETS}]}',
      "when: {stageStatus: Success, condition: 'false'}\n                  spec: {command: 'TARGETS=\"a,b\"', outputVariables: [{name: TARGETS}]}",
    );
    expect(yaml).toContain("condition: 'false'");
    const r = await run(yaml);
    expect(r.code).toBe(1);
    expect(r.order).toEqual([]);
    const deploy = r.report.steps.find((x) => x.id === 's.deploy')!;
    expect(deploy.status).toBe('failed');
    expect(deploy.error).toMatch(/holds a reference the run cannot resolve/);
  }, 30_000);
});

describe('copies inside copies', () => {
  test("a strategy of a step inside a copied stage numbers its own copies (it took the stage copy's iteration)", async () => {
    const dir = tempDir({
      'p.yaml': `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: discover
        identifier: discover
        type: CI
        spec: {execution: {steps: [{step: {type: Run, name: list, identifier: list, spec: {command: "T=a,b", outputVariables: [{name: T}]}}}]}}
    - stage:
        name: deploy
        identifier: deploy
        type: CI
        strategy:
          matrix:
            env: <+pipeline.stages.discover.spec.execution.steps.list.output.outputVariables.T.split(",")>
            maxConcurrency: 1
        spec:
          execution:
            steps:
              - step: {type: Run, name: l2, identifier: l2, spec: {command: 'U="x,y,z"', outputVariables: [{name: U}]}}
              - step:
                  type: Run
                  name: w
                  identifier: w
                  strategy:
                    matrix:
                      u: <+steps.l2.output.outputVariables.U.split(",")>
                      maxConcurrency: 1
                  spec: {command: 'echo "W env=<+matrix.env> u=<+matrix.u> it=<+strategy.iteration>/<+strategy.iterations>"'}
              - step:
                  type: Run
                  name: st
                  identifier: st
                  strategy:
                    parallelism: 2
                  spec: {command: 'echo "ST env=<+matrix.env> it=<+strategy.iteration>/<+strategy.iterations>"'}
`,
    });
    const r = await runIn(dir);
    expect(r.code, r.out).toBe(0);
    for (const env of ['a', 'b']) {
      for (const [i, u] of ['x', 'y', 'z'].entries()) expect(r.stdout).toContain(`W env=${env} u=${u} it=${i}/3`);
      for (const i of [0, 1]) expect(r.stdout).toContain(`ST env=${env} it=${i}/2`);
    }
  }, 30_000);

  test('<+step.identifierPostFix> and <+stepGroup.identifierPostFix> of a copy the run makes are its suffix, as for static copies (they were empty)', async () => {
    const dir = tempDir({
      'p.yaml': `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: s
        identifier: s
        type: CI
        spec:
          execution:
            steps:
              - step: {type: Run, name: list, identifier: list, spec: {command: 'T="a,b"', outputVariables: [{name: T}]}}
              - step:
                  type: Run
                  name: rt
                  identifier: rt
                  strategy: {matrix: {v: '<+steps.list.output.outputVariables.T.split(",")>'}}
                  spec: {command: 'echo "RT id=<+step.identifier> name=<+step.name> pf=<+step.identifierPostFix>"'}
              - step:
                  type: Run
                  name: st
                  identifier: st
                  strategy: {matrix: {v: [a, b]}}
                  spec: {command: 'echo "ST id=<+step.identifier> name=<+step.name> pf=<+step.identifierPostFix>"'}
              - stepGroup:
                  name: g
                  identifier: g
                  strategy: {matrix: {v: '<+steps.list.output.outputVariables.T.split(",")>'}}
                  steps:
                    - step: {type: Run, name: x, identifier: x, spec: {command: 'echo "G id=<+step.identifier> sg=<+stepGroup.identifier> pf=<+stepGroup.identifierPostFix>"'}}
              - stepGroup:
                  name: h
                  identifier: h
                  strategy: {matrix: {v: [a, b]}}
                  steps:
                    - step: {type: Run, name: x, identifier: x, spec: {command: 'echo "H id=<+step.identifier> sg=<+stepGroup.identifier> pf=<+stepGroup.identifierPostFix>"'}}
`,
    });
    const r = await runIn(dir);
    expect(r.code, r.out).toBe(0);
    for (const pf of ['_0', '_1']) {
      expect(r.stdout).toContain(`RT id=rt name=rt pf=${pf}`);
      expect(r.stdout).toContain(`ST id=st name=st pf=${pf}`);
      expect(r.stdout).toMatch(new RegExp(`G id=x .* pf=${pf}`));
      expect(r.stdout).toMatch(new RegExp(`H id=x .* pf=${pf}`));
    }
  }, 30_000);
});

describe('maxConcurrency of a static stage or step group matrix', () => {
  const cmd = `'echo "start <+matrix.v>" >> order.txt; sleep 0.3; echo "end <+matrix.v>" >> order.txt'`;
  test.each([
    [
      'stage',
      `    - stage:\n        name: d\n        identifier: d\n        type: CI\n        strategy: {matrix: {v: [a, b, c], maxConcurrency: 1}}\n        spec: {execution: {steps: [{step: {type: Run, name: r, identifier: r, spec: {command: ${cmd}}}}]}}\n`,
    ],
    [
      'step group',
      `    - stage:\n        name: d\n        identifier: d\n        type: CI\n        spec:\n          execution:\n            steps:\n              - stepGroup:\n                  name: g\n                  identifier: g\n                  strategy: {matrix: {v: [a, b, c], maxConcurrency: 1}}\n                  steps: [{step: {type: Run, name: r, identifier: r, spec: {command: ${cmd}}}}]\n`,
    ],
  ])(
    'holds for a %s: one copy at a time (all ran at once)',
    async (_what, stages) => {
      const r = await run(`pipeline:\n  name: p\n  identifier: p\n  stages:\n${stages}`);
      expect(r.code, r.out).toBe(0);
      expect(r.order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    },
    30_000,
  );
});
