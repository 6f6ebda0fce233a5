/**
 * The Argo manifest validator of `test/support/argo-schemas.ts`: a hand-written Workflow passes
 * both schemas, and each schema fails what it should. What the cases below establish, for
 * whoever writes `export --target argo` ("both" = Argo's own schema and the strict CRD schema):
 *
 * - IntOrString fields must be emitted as strings: Argo's schema types them `string` only, the
 *   strict one takes either. That is probe ports (`tcpSocket.port`, `httpGet.port`), a
 *   template's `activeDeadlineSeconds`, `retryStrategy.limit`, `retryStrategy.backoff.factor`,
 *   `withSequence` `count`/`start`/`end`. Resource quantities too (`cpu: 1` fails Argo's; `'1'`).
 * - But `spec.activeDeadlineSeconds` (workflow level) is an integer in both: a string fails both.
 *   Same name, opposite types at the two levels. `containerPort` is an integer in both.
 * - Strings in both: parameter `value`s, `env[].value`, label and annotation values,
 *   `suspend.duration`, `podSpecPatch` (a JSON/YAML string, not an object).
 * - Accepted by both: `depends` expressions (`redis.Succeeded || redis.Daemoned`), `continueOn`,
 *   `when`, `dag.failFast` and a template's `failFast`, `hostAliases` on a template and on the
 *   spec, `timeout`, `metadata.labels`/`annotations` on a template, `status` on a Workflow.
 * - Newer fields Argo's schema has and the strict (older CRD) one lacks fail strict, e.g. a
 *   template's `pendingTimeout`.
 * - Neither checks much beyond shape: no enums (`retryPolicy: Sometimes` passes), a template
 *   needs no `name`, the spec no `entrypoint` or `templates`; `apiVersion` is optional (Argo's
 *   checks its value when present). A container without `image` fails Argo's schema only; a
 *   task, env var or parameter without `name` fails both. Only the strict schema
 *   catches a misspelt field.
 * - The strict schema checks neither `kind` nor `metadata` beyond "an object": the rename to
 *   `WorkflowTemplate` is for fidelity, not needed to pass.
 */
import { describe, expect, test } from 'vitest';
import { expectValidArgo, validateArgo } from '../support/argo-schemas.js';
import { stringMatching } from '../support/matchers.js';

type Json = Record<string, unknown>;

/** A small Workflow, written from Argo's documentation: a DAG, a daemon with a readiness probe, a container step. */
function workflow(): Json {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: 'build-', labels: { 'pipewright.dev/pipeline': 'build' } },
    spec: {
      entrypoint: 'pipeline',
      activeDeadlineSeconds: 3600,
      templates: [
        {
          name: 'pipeline',
          dag: {
            tasks: [
              { name: 'redis', template: 'redis' },
              { name: 'test', template: 'main', depends: 'redis', arguments: { parameters: [{ name: 'target', value: 'all' }] } },
            ],
          },
        },
        {
          name: 'redis',
          daemon: true,
          container: { image: 'redis:7', readinessProbe: { tcpSocket: { port: '6379' }, periodSeconds: 2 } },
        },
        {
          name: 'main',
          metadata: { labels: { 'pipewright.dev/step': 'test' } },
          inputs: { parameters: [{ name: 'target' }] },
          activeDeadlineSeconds: '600',
          retryStrategy: { limit: '2', retryPolicy: 'OnFailure' },
          hostAliases: [{ ip: '127.0.0.1', hostnames: ['cache.local'] }],
          container: {
            image: 'alpine:3.20',
            command: ['sh', '-c'],
            args: ['make {{inputs.parameters.target}} && echo ok > /tmp/result'],
            env: [
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'ci-secrets', key: 'token' } } },
              { name: 'CI', value: 'true' },
            ],
          },
          outputs: { parameters: [{ name: 'result', valueFrom: { path: '/tmp/result' } }] },
        },
      ],
    },
  };
}

/** Walks `path` (keys and indexes) from `root`, then sets or deletes (`undefined`) the last key. */
function edit(root: Json, path: (string | number)[], value: unknown): Json {
  let at = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return root;
}

/** The workflow with one change: `validateArgo`'s verdict on it. */
function withChange(path: (string | number)[], value: unknown): ReturnType<typeof validateArgo> {
  return validateArgo(edit(workflow(), path, value));
}

const MAIN = ['spec', 'templates', 2];
const REDIS = ['spec', 'templates', 1];
const DAG = ['spec', 'templates', 0, 'dag'];
const TEST_TASK = [...DAG, 'tasks', 1];

describe('a valid manifest', () => {
  test('the hand-written Workflow passes both schemas', () => {
    expect(validateArgo(workflow())).toEqual({ argo: [], strict: [] });
    expect(() => expectValidArgo(workflow())).not.toThrow();
  });

  test('as a WorkflowTemplate (metadata.name instead of generateName) it passes both', () => {
    const template = { ...workflow(), kind: 'WorkflowTemplate', metadata: { name: 'build' } };
    expect(validateArgo(template)).toEqual({ argo: [], strict: [] });
  });

  test('the manifest is not changed by the check (the strict copy is a copy)', () => {
    const manifest = workflow();
    validateArgo(manifest);
    expect(manifest).toEqual(workflow());
  });
});

describe('what each schema rejects', () => {
  test('a misspelt field fails the strict schema only', () => {
    expect(withChange([...REDIS, 'daemonx'], true)).toEqual({
      argo: [],
      strict: ['/spec/templates/1: must NOT have additional properties (daemonx)'],
    });
  });

  test('a task without a name fails both', () => {
    const error = "/spec/templates/0/dag/tasks/0: must have required property 'name'";
    expect(withChange([...DAG, 'tasks', 0, 'name'], undefined)).toEqual({ argo: [error], strict: [error] });
  });

  test.each<[string, (string | number)[], string]>([
    ['an env var', [...MAIN, 'container', 'env', 1, 'name'], '/spec/templates/2/container/env/1'],
    ['an output parameter', [...MAIN, 'outputs', 'parameters', 0, 'name'], '/spec/templates/2/outputs/parameters/0'],
  ])('%s without a name fails both', (_, path, at) => {
    const error = `${at}: must have required property 'name'`;
    expect(withChange(path, undefined)).toEqual({ argo: [error], strict: [error] });
  });

  test("a container without an image fails Argo's schema only", () => {
    expect(withChange([...MAIN, 'container', 'image'], undefined)).toEqual({
      argo: ["/spec/templates/2/container: must have required property 'image'"],
      strict: [],
    });
  });

  test('a template without a name passes both (Argo checks that on submit, not in the schema)', () => {
    expect(withChange([...MAIN, 'name'], undefined)).toEqual({ argo: [], strict: [] });
  });

  test("a probe port as a number (6379): Argo's schema wants a string, the strict one takes it", () => {
    expect(withChange([...REDIS, 'container', 'readinessProbe', 'tcpSocket', 'port'], 6379)).toEqual({
      argo: ['/spec/templates/1/container/readinessProbe/tcpSocket/port: must be string'],
      strict: [],
    });
  });

  test('a kind other than Workflow or WorkflowTemplate is reported against both', () => {
    const error = '/kind: must be one of Workflow, WorkflowTemplate (got "CronWorkflow")';
    expect(validateArgo({ ...workflow(), kind: 'CronWorkflow' })).toEqual({ argo: [error], strict: [error] });
    expect(validateArgo('not a manifest').argo).toEqual(['/kind: must be one of Workflow, WorkflowTemplate (got undefined)']);
  });

  test('expectValidArgo throws with the errors of both schemas', () => {
    const manifest = edit(edit(workflow(), [...REDIS, 'daemonx'], true), [...MAIN, 'container', 'image'], undefined);
    expect(() => expectValidArgo(manifest)).toThrow(
      [
        'Argo manifest is not valid',
        '- argo-schema.json (1):',
        "  /spec/templates/2/container: must have required property 'image'",
        '- workflowtemplate_v1alpha1.strict.json (1):',
        '  /spec/templates/1: must NOT have additional properties (daemonx)',
      ].join('\n'),
    );
  });
});

describe('IntOrString and other typed fields', () => {
  // Each row: where, and what to put there given the value (the number 2, then the string '2').
  test.each<[string, (string | number)[], (v: number | string) => unknown]>([
    ['a httpGet probe port', [...REDIS, 'container', 'readinessProbe'], (v) => ({ httpGet: { path: '/ready', port: v } })],
    ["a template's activeDeadlineSeconds", [...MAIN, 'activeDeadlineSeconds'], (v) => v],
    ['retryStrategy.limit', [...MAIN, 'retryStrategy', 'limit'], (v) => v],
    ['retryStrategy.backoff.factor', [...MAIN, 'retryStrategy', 'backoff'], (v) => ({ duration: '5s', factor: v, maxDuration: '1m' })],
    ['withSequence.count', [...TEST_TASK, 'withSequence'], (v) => ({ count: v })],
    ['a cpu limit', [...MAIN, 'container', 'resources'], (v) => ({ limits: { cpu: v, memory: '1Gi' } })],
  ])('%s: as a number Argo rejects it and strict accepts it; as a string both accept it', (_, path, make) => {
    const asNumber = withChange(path, make(2));
    expect(asNumber.argo).toEqual([stringMatching(/: must be string$/)]);
    expect(asNumber.strict).toEqual([]);
    expect(withChange(path, make('2'))).toEqual({ argo: [], strict: [] });
  });

  test("the workflow's spec.activeDeadlineSeconds is an integer in both: a string fails both", () => {
    const error = '/spec/activeDeadlineSeconds: must be integer';
    expect(withChange(['spec', 'activeDeadlineSeconds'], '3600')).toEqual({ argo: [error], strict: [error] });
  });

  test('containerPort is an integer in both', () => {
    const error = '/spec/templates/1/container/ports/0/containerPort: must be integer';
    expect(withChange([...REDIS, 'container', 'ports'], [{ containerPort: '6379' }])).toEqual({ argo: [error], strict: [error] });
    expect(withChange([...REDIS, 'container', 'ports'], [{ containerPort: 6379 }])).toEqual({ argo: [], strict: [] });
  });

  test.each<[string, (string | number)[], unknown, string]>([
    [
      'a parameter value',
      [...TEST_TASK, 'arguments', 'parameters', 0, 'value'],
      1,
      '/spec/templates/0/dag/tasks/1/arguments/parameters/0/value',
    ],
    ['an env value', [...MAIN, 'container', 'env', 1, 'value'], 1, '/spec/templates/2/container/env/1/value'],
    ['a template label value', [...MAIN, 'metadata', 'labels', 'n'], 1, '/spec/templates/2/metadata/labels/n'],
    ['podSpecPatch as an object', [...MAIN, 'podSpecPatch'], { terminationGracePeriodSeconds: 5 }, '/spec/templates/2/podSpecPatch'],
  ])('%s must be a string in both', (_, path, value, at) => {
    expect(withChange(path, value)).toEqual({ argo: [`${at}: must be string`], strict: [`${at}: must be string`] });
  });
});

describe('fields an exporter may use', () => {
  test.each<[string, (string | number)[], unknown]>([
    ['a depends expression', [...TEST_TASK, 'depends'], 'redis.Succeeded || redis.Daemoned'],
    ['continueOn', [...TEST_TASK, 'continueOn'], { failed: true, error: true }],
    ['when', [...TEST_TASK, 'when'], "'{{workflow.parameters.branch}}' == 'main'"],
    ['dag.failFast', [...DAG, 'failFast'], false],
    ["a template's failFast", [...MAIN, 'failFast'], false],
    ['hostAliases on the spec', ['spec', 'hostAliases'], [{ ip: '127.0.0.1', hostnames: ['cache.local'] }]],
    ['podSpecPatch as a string', [...MAIN, 'podSpecPatch'], '{"terminationGracePeriodSeconds": 5}'],
    ['template metadata annotations', [...MAIN, 'metadata', 'annotations'], { 'pipewright.dev/source': 'pipeline.yaml' }],
    ['a template timeout', [...MAIN, 'timeout'], '10m'],
    ['a suspend template', ['spec', 'templates', 3], { name: 'wait', suspend: { duration: '10s' } }],
    ['withItems of mixed values', [...TEST_TASK, 'withItems'], ['a', 1, { b: 2 }]],
    ['an unknown retryPolicy (no enums are checked)', [...MAIN, 'retryStrategy', 'retryPolicy'], 'Sometimes'],
    ['status on a Workflow', ['status'], {}],
    ['no apiVersion', ['apiVersion'], undefined],
    ['no entrypoint', ['spec', 'entrypoint'], undefined],
  ])('%s passes both', (_, path, value) => {
    expect(withChange(path, value)).toEqual({ argo: [], strict: [] });
  });

  test("a template's pendingTimeout is in Argo's schema but not in the strict (older) CRD schema", () => {
    expect(withChange([...MAIN, 'pendingTimeout'], '5m')).toEqual({
      argo: [],
      strict: ['/spec/templates/2: must NOT have additional properties (pendingTimeout)'],
    });
  });

  test("a wrong apiVersion fails Argo's schema only", () => {
    expect(withChange(['apiVersion'], 'argoproj.io/v1')).toEqual({
      argo: ['/apiVersion: must be equal to constant ("argoproj.io/v1alpha1")'],
      strict: [],
    });
  });
});
