/**
 * `export --target argo`, mapping rule by rule: each case compiles a small pipeline and
 * compares the exported templates, field by field, with YAML written by hand from Argo's
 * documentation (DAG `depends`, `daemon` + `readinessProbe`, `{{tasks.X.ip}}`,
 * `outputs.parameters` with `valueFrom.path`, `retryStrategy`, `continueOn`,
 * `activeDeadlineSeconds`, `secretKeyRef`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { compile } from '../../compiler/index.js';
import { exportArgo, manifestYaml, type ArgoOptions } from '../../export/index.js';
import { expectValidArgo } from '../support/argo-schemas.js';
import { REPO, onePipeline } from '../helpers.js';

/** Compiles a one-stage CI pipeline whose steps are `steps` (YAML, indented for `steps:`). */
async function exported(steps: string, options: ArgoOptions = { imageDefault: 'alpine:3' }) {
  const text = onePipeline(steps);
  const r = await compile({ file: 'p.yaml', text });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const out = exportArgo(r.plan!, options);
  // Every manifest exported validates against Argo's JSON Schema and the strict CRD schema.
  if (out.manifest) expectValidArgo(out.manifest);
  return out;
}

type Template = Record<string, unknown> & { name: string };
const templates = (m: Record<string, unknown> | undefined) => (m!['spec'] as { templates: Template[] }).templates;
const named = (m: Record<string, unknown> | undefined, name: string) => templates(m).find((t) => t.name === name)!;

describe('export --target argo: mapping rules', () => {
  test('run steps in sequence and a parallel block: a DAG with depends; each step a container named main', async () => {
    const r = await exported(`              - step: {type: Run, name: a, identifier: a, spec: {command: echo a}}
              - parallel:
                  - step: {type: Run, name: b, identifier: b, spec: {command: echo b}}
                  - step: {type: Run, name: c, identifier: c, spec: {shell: Bash, command: echo c}}
              - step: {type: Run, name: d, identifier: d, spec: {command: echo d}}
`);
    expect(r.problems).toEqual([]);
    expect(named(r.manifest, 'pipeline')).toEqual(
      parse(`
name: pipeline
dag:
  tasks:
    - name: s
      template: stage-s
`),
    );
    expect(named(r.manifest, 'stage-s')).toEqual(
      parse(`
name: stage-s
dag:
  tasks:
    - name: a
      template: step-s-a
    - name: b
      template: step-s-b
      depends: a
    - name: c
      template: step-s-c
      depends: a
    - name: d
      template: step-s-d
      depends: b && c
`),
    );
    expect(named(r.manifest, 'step-s-c')['container']).toEqual(
      parse(`
name: main
image: alpine:3
workingDir: /harness
volumeMounts:
  - name: workspace
    mountPath: /harness
command: [bash, -e, -c]
args: [echo c]
`),
    );
  });

  test('a Background step is a daemon with a readinessProbe; a later step reaches it by its id through hostAliases', async () => {
    const r = await exported(`              - step:
                  type: Background
                  name: db
                  identifier: db
                  spec:
                    image: postgres:16
                    readiness: {tcp: {port: 5432}, timeout: 20s, interval: 2s}
              - step: {type: Run, name: use, identifier: use, spec: {command: pg_isready -h db}}
`);
    expect(r.problems).toEqual([]);
    const db = named(r.manifest, 'step-s-db');
    expect(db['daemon']).toBe(true);
    expect((db['container'] as Record<string, unknown>)['readinessProbe']).toEqual(
      parse(`
tcpSocket:
  port: "5432"
periodSeconds: 2
failureThreshold: 10
`),
    );
    expect((named(r.manifest, 'stage-s')['dag'] as { tasks: unknown[] }).tasks[1]).toEqual(
      parse(`
name: use
template: step-s-use
arguments:
  parameters:
    - name: ip-s-db
      value: "{{tasks.db.ip}}"
depends: db
`),
    );
    const use = named(r.manifest, 'step-s-use');
    expect(use['inputs']).toEqual(parse('parameters: [{name: ip-s-db}]'));
    expect(use['hostAliases']).toEqual(parse('[{ip: "{{inputs.parameters.ip-s-db}}", hostnames: [db]}]'));
  });

  test('http and exec readiness map to httpGet and exec; log readiness is refused, located', async () => {
    const http = await exported(`              - step:
                  type: Background
                  name: web
                  identifier: web
                  spec: {command: serve, readiness: {http: {url: "http://127.0.0.1:8080/health?deep=1"}}}
`);
    expect((named(http.manifest, 'step-s-web')['container'] as Record<string, unknown>)['readinessProbe']).toMatchObject(
      parse(`httpGet: {path: /health?deep=1, port: "8080", scheme: HTTP}`),
    );
    const exec = await exported(`              - step:
                  type: Background
                  name: q
                  identifier: q
                  spec: {command: serve, readiness: {exec: {command: "test -f /tmp/ready"}}}
`);
    expect((named(exec.manifest, 'step-s-q')['container'] as Record<string, unknown>)['readinessProbe']).toMatchObject(
      parse(`exec: {command: [sh, -c, test -f /tmp/ready]}`),
    );
    const log = await exported(`              - step:
                  type: Background
                  name: q
                  identifier: q
                  spec: {command: serve, readiness: {log: {pattern: ready}}}
`);
    expect(log.manifest).toBeUndefined();
    expect(log.problems).toEqual([
      expect.objectContaining({
        code: 'PW7001',
        file: 'p.yaml',
        line: 13,
        message: expect.stringMatching(/log readiness .* has no Kubernetes probe/) as unknown,
      }),
    ]);
  });

  test('an output variable: the producer writes a file named by outputs.parameters; the consumer gets it as a parameter', async () => {
    const r = await exported(`              - step:
                  type: Run
                  name: ver
                  identifier: ver
                  spec:
                    command: v=1.2.3
                    outputVariables: [{name: v}]
              - step: {type: Run, name: tag, identifier: tag, spec: {command: 'echo <+steps.ver.output.outputVariables.v>'}}
`);
    expect(r.problems).toEqual([]);
    const ver = named(r.manifest, 'step-s-ver');
    expect(ver['outputs']).toEqual(parse(`parameters: [{name: v, valueFrom: {path: /tmp/pipewright-outputs/v, default: ""}}]`));
    expect((ver['container'] as { args: string[] }).args[0]).toContain(`printf "%s" "\${v-}" > /tmp/pipewright-outputs/v`);
    const tasks = (named(r.manifest, 'stage-s')['dag'] as { tasks: unknown[] }).tasks;
    expect(tasks[1]).toEqual(
      parse(`
name: tag
template: step-s-tag
arguments:
  parameters:
    - name: out-s-ver-v
      value: "{{tasks.ver.outputs.parameters.v}}"
depends: ver
`),
    );
    expect((named(r.manifest, 'step-s-tag')['container'] as { args: string[] }).args).toEqual(['echo {{inputs.parameters.out-s-ver-v}}']);
  });

  test('failure strategies and timeouts: Retry → retryStrategy, Ignore → continueOn and a depends that accepts the failure', async () => {
    const r = await exported(`              - step:
                  type: Run
                  name: flaky
                  identifier: flaky
                  timeout: 90s
                  failureStrategies:
                    - onFailure: {errors: [AllErrors], action: {type: Retry, spec: {retryCount: 3, retryIntervals: [5s], onRetryFailure: {action: {type: Abort}}}}}
                  spec: {command: try}
              - step:
                  type: Run
                  name: lint
                  identifier: lint
                  failureStrategies:
                    - onFailure: {errors: [AllErrors], action: {type: Ignore}}
                  spec: {command: lint}
              - step: {type: Run, name: after, identifier: after, spec: {command: echo done}}
`);
    expect(r.problems).toEqual([]);
    const tasks = (named(r.manifest, 'stage-s')['dag'] as { tasks: Record<string, unknown>[] }).tasks;
    expect(tasks[0]).toEqual(parse(`{name: flaky, template: step-s-flaky}`));
    expect(named(r.manifest, 'step-s-flaky')['retryStrategy']).toEqual(parse(`{limit: "3", retryPolicy: Always, backoff: {duration: 5s}}`));
    expect(tasks[1]).toEqual(parse(`{name: lint, template: step-s-lint, continueOn: {failed: true, error: true}, depends: flaky}`));
    expect(tasks[2]!['depends']).toBe('(lint.Succeeded || lint.Skipped || lint.Daemoned || lint.Failed || lint.Errored)');
    expect(named(r.manifest, 'step-s-flaky')['activeDeadlineSeconds']).toBe('90');
  });

  test('a secret comes from the Kubernetes Secret by key, never as its value', async () => {
    const r = await exported(
      `              - step:
                  type: Run
                  name: push
                  identifier: push
                  spec:
                    command: 'login --password "<+secrets.getValue("registry_pw")>"'
                    envVariables: {TOKEN: '<+secrets.getValue("api_token")>'}
`,
      { imageDefault: 'alpine:3', secretName: 'ci-secrets' },
    );
    expect(r.problems).toEqual([]);
    const c = named(r.manifest, 'step-s-push')['container'] as { env: unknown[]; args: string[] };
    expect(c.env).toEqual(
      parse(`
- name: PW_SECRET_REGISTRY_PW
  valueFrom: {secretKeyRef: {name: ci-secrets, key: registry_pw}}
- name: TOKEN
  valueFrom: {secretKeyRef: {name: ci-secrets, key: api_token}}
`),
    );
    expect(c.args).toEqual(['login --password "${PW_SECRET_REGISTRY_PW}"']);
  });

  test('a step group is a nested DAG; a service of the stage reaches it as a parameter handed down', async () => {
    const r = await exported(`              - step: {type: Background, name: cache, identifier: cache, spec: {command: serve}}
              - stepGroup:
                  name: g
                  identifier: g
                  steps:
                    - step: {type: Run, name: hit, identifier: hit, spec: {command: curl http://cache:80}}
`);
    expect(r.problems).toEqual([]);
    expect((named(r.manifest, 'stage-s')['dag'] as { tasks: unknown[] }).tasks[1]).toEqual(
      parse(`
name: g
template: group-s-g
arguments:
  parameters:
    - name: ip-s-cache
      value: "{{tasks.cache.ip}}"
depends: cache
`),
    );
    expect(named(r.manifest, 'group-s-g')).toEqual(
      parse(`
name: group-s-g
inputs:
  parameters:
    - name: ip-s-cache
dag:
  tasks:
    - name: hit
      template: step-s-g-hit
      arguments:
        parameters:
          - name: ip-s-cache
            value: "{{inputs.parameters.ip-s-cache}}"
`),
    );
  });

  test('steps without an image need --image-default: one error naming them; the same plan gives the same bytes', async () => {
    const steps = `              - step: {type: Run, name: a, identifier: a, spec: {command: echo a}}
              - step: {type: Run, name: b, identifier: b, spec: {image: alpine:3, command: echo b}}
`;
    const refused = await exported(steps, {});
    expect(refused.manifest).toBeUndefined();
    expect(refused.problems.map((p) => p.message)).toEqual([expect.stringMatching(/need --image-default IMAGE .*: s\.a$/) as unknown]);
    const one = manifestYaml((await exported(steps)).manifest!);
    const two = manifestYaml((await exported(steps)).manifest!);
    expect(one).toBe(two);
  });

  test('a step that calls a service through localhost is a warning with its location', async () => {
    const r = await exported(`              - step: {type: Background, name: web, identifier: web, spec: {command: serve}}
              - step: {type: Run, name: call, identifier: call, spec: {command: curl http://localhost:8080}}
`);
    expect(r.manifest).toBeDefined();
    expect(r.problems).toEqual([
      expect.objectContaining({
        code: 'PW7002',
        severity: 'warning',
        line: 13,
        message: expect.stringContaining("use the service's step id as the hostname (web)") as unknown,
      }),
    ]);
  });

  test('a service a step group started ends with the group on Argo: a later step outside that uses it is refused; one that does not is exported', async () => {
    const group = `              - stepGroup:
                  name: g
                  identifier: g
                  steps:
                    - step: {type: Background, name: cache, identifier: cache, spec: {command: serve}}
`;
    const uses =
      await exported(`${group}              - step: {type: Run, name: late, identifier: late, spec: {command: curl http://cache:80}}
`);
    expect(uses.manifest).toBeUndefined();
    expect(uses.problems).toEqual([
      expect.objectContaining({
        code: 'PW7001',
        message: expect.stringMatching(/^s\.late uses cache, a service the step group s\.g started/) as unknown,
      }),
    ]);
    const ignores = await exported(`${group}              - step: {type: Run, name: late, identifier: late, spec: {command: echo done}}
`);
    expect(ignores.problems).toEqual([]);
    expect(named(ignores.manifest, 'step-s-late')['hostAliases']).toBeUndefined();
  });

  test('an output read outside its group and in a later stage travels up as the DAG outputs and down as parameters', async () => {
    const text = readFileSync(join(REPO, 'test', 'fixtures', 'export', 'outputs-across-scopes.yaml'), 'utf8');
    const r = await compile({ file: 'p.yaml', text });
    const out = exportArgo(r.plan!, { imageDefault: 'alpine:3' });
    expect(out.problems).toEqual([]);
    expectValidArgo(out.manifest);
    expect(named(out.manifest, 'group-a-g')['outputs']).toEqual(
      parse(`parameters: [{name: out-a-g-ver-v, valueFrom: {parameter: "{{tasks.ver.outputs.parameters.v}}"}}]`),
    );
    expect(named(out.manifest, 'stage-a')['outputs']).toEqual(
      parse(`parameters: [{name: out-a-g-ver-v, valueFrom: {parameter: "{{tasks.g.outputs.parameters.out-a-g-ver-v}}"}}]`),
    );
    expect((named(out.manifest, 'pipeline')['dag'] as { tasks: unknown[] }).tasks[1]).toEqual(
      parse(`
name: b
template: stage-b
arguments:
  parameters:
    - name: out-a-g-ver-v
      value: "{{tasks.a.outputs.parameters.out-a-g-ver-v}}"
depends: a
`),
    );
    expect(named(out.manifest, 'stage-b')['inputs']).toEqual(parse('parameters: [{name: out-a-g-ver-v}]'));
    expect((named(out.manifest, 'step-b-late')['container'] as { args: string[] }).args).toEqual([
      'echo {{inputs.parameters.out-a-g-ver-v}}',
    ]);
  });

  test('a condition on outputs becomes the task when: == and != of quoted values, joined by && || ! and parentheses', async () => {
    const r = await exported(`              - step:
                  type: Run
                  name: check
                  identifier: check
                  spec: {command: 'ok=yes; env=prod', outputVariables: [{name: ok}, {name: env}]}
              - step:
                  type: Run
                  name: deploy
                  identifier: deploy
                  when:
                    stageStatus: Success
                    condition: <+steps.check.output.outputVariables.ok> == "yes" && !(<+steps.check.output.outputVariables.env> != 'prod')
                  spec: {command: deploy}
`);
    expect(r.problems).toEqual([]);
    expect((named(r.manifest, 'stage-s')['dag'] as { tasks: Record<string, unknown>[] }).tasks[1]!['when']).toBe(
      "'{{tasks.check.outputs.parameters.ok}}' == 'yes' && !('{{tasks.check.outputs.parameters.env}}' != 'prod')",
    );
  });

  test('conditions Argo would read differently are refused, located: a method, an ordering, a number', async () => {
    for (const condition of [
      '<+steps.check.output.outputVariables.ok>.contains("y")',
      '<+steps.check.output.outputVariables.ok> > "a"',
      '<+steps.check.output.outputVariables.ok> == 1',
    ]) {
      const r =
        await exported(`              - step: {type: Run, name: check, identifier: check, spec: {command: ok=1, outputVariables: [{name: ok}]}}
              - step:
                  type: Run
                  name: deploy
                  identifier: deploy
                  when: {stageStatus: Success, condition: '${condition}'}
                  spec: {command: deploy}
`);
      expect(r.manifest, condition).toBeUndefined();
      expect(r.problems, condition).toEqual([
        expect.objectContaining({
          code: 'PW7001',
          line: 14,
          message: expect.stringContaining('s.deploy: its condition cannot be exported') as unknown,
        }),
      ]);
    }
  });

  test("a stage condition on an earlier stage's output becomes the stage task's when; the earlier stage hands the output up", async () => {
    const text = readFileSync(join(REPO, 'test', 'fixtures', 'export', 'stage-condition.yaml'), 'utf8');
    const r = await compile({ file: 'p.yaml', text });
    const out = exportArgo(r.plan!, { imageDefault: 'alpine:3' });
    expect(out.problems).toEqual([]);
    expectValidArgo(out.manifest);
    expect((named(out.manifest, 'pipeline')['dag'] as { tasks: unknown[] }).tasks[1]).toEqual(
      parse(`
name: b
template: stage-b
when: "'{{tasks.a.outputs.parameters.out-a-decide-go}}' == 'yes'"
depends: a
`),
    );
    expect(named(out.manifest, 'stage-a')['outputs']).toEqual(
      parse(`parameters: [{name: out-a-decide-go, valueFrom: {parameter: "{{tasks.decide.outputs.parameters.go}}"}}]`),
    );
  });
});
