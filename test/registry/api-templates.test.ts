/**
 * The API's template routes, one behaviour a case: publishing (immutable, content-addressed
 * versions; what a publish checks), reading a version (its validator and revalidation),
 * listing and searching.
 */
import { describe, expect, test } from 'vitest';
import { containing, get, matching, publishStep, runRow, table } from './api-table.js';
import { stepTemplate } from './fixtures.js';

const VERSION = '/api/v1/templates/account.redis/versions/1.0.0';
const put = (ref: string, version: string, yaml: string) =>
  ({ method: 'put', path: `/api/v1/templates/${ref}/versions/${version}`, body: { yaml } }) as const;

/** A StepGroup template whose step uses `inner` (any ^1). */
const group = (inner: string) =>
  `template:\n  name: g\n  identifier: g\n  versionLabel: 1.0.0\n  type: StepGroup\n  spec:\n    steps:\n      - step: {name: a, identifier: a, template: {templateRef: ${inner}, versionLabel: ^1}}\n`;

/** A Stage template declaring the stage variable `env`, whose one step runs `cmd`. */
const stage = (cmd: string, id = 'st') =>
  `template:\n  name: st\n  identifier: ${id}\n  versionLabel: 1.0.0\n  type: Stage\n  spec:\n    type: CI\n    variables:\n      - {name: env, type: String, value: prod}\n    spec:\n      execution:\n        steps:\n          - step: {type: Run, name: a, identifier: a, spec: {command: "${cmd}"}}\n`;

describe('publish', () => {
  test.each(
    table([
      {
        what: 'a new version is stored: 201 with its content digest',
        when: put('account.redis', '1.0.0', stepTemplate('redis', '1.0.0')),
        status: 201,
        body: { ref: 'account.redis', version: '1.0.0', created: true, digest: matching(/^sha256:[0-9a-f]{64}$/) },
      },
      {
        what: 'the same content again is a no-op: 200, created false',
        given: [publishStep('redis', '1.0.0')],
        when: put('account.redis', '1.0.0', stepTemplate('redis', '1.0.0')),
        status: 200,
        body: { created: false },
      },
      {
        what: 'other content under an existing version is a conflict: versions are immutable',
        given: [publishStep('redis', '1.0.0')],
        when: put('account.redis', '1.0.0', stepTemplate('redis', '1.0.0', { command: 'different' })),
        status: 409,
        body: { error: { code: 'conflict' } },
      },
      {
        what: 'a template outside the schema is 422, located in the published file',
        when: put(
          'account.x',
          '1.0.0',
          'template:\n  name: x\n  identifier: x\n  versionLabel: 1.0.0\n  type: Step\n  spec: {type: Run, spec: {shell: Fish, command: x}}\n',
        ),
        status: 422,
        then: ({ body }) => expect(body.error?.details?.[0]).toMatchObject({ code: 'PW2001', line: 6, file: 'registry:account.x@1.0.0' }),
      },
      {
        what: "a template whose identifier and scope make another reference than the URL's is 422, located at its identifier",
        when: put('account.y', '1.0.0', stepTemplate('x', '1.0.0')),
        status: 422,
        then: ({ body }) =>
          expect(body.error?.details).toEqual([
            expect.objectContaining({
              file: 'registry:account.y@1.0.0',
              line: 3,
              column: 15,
              message: expect.stringContaining('account.x') as unknown,
            }),
          ]),
      },
      {
        what: "a template whose versionLabel is not the URL's version is 422, located at its versionLabel",
        when: put('account.x', '2.0.0', stepTemplate('x', '1.0.0')),
        status: 422,
        then: ({ body }) => expect(body.error?.details).toEqual([expect.objectContaining({ line: 4, column: 17 })]),
      },
      {
        what: 'a body of two documents is 422, located at the second',
        when: put('account.x', '1.0.0', `${stepTemplate('x', '1.0.0')}---\n${stepTemplate('x', '1.0.0')}`),
        status: 422,
        then: ({ body }) => expect(body.error?.details).toEqual([expect.objectContaining({ code: 'PW1004', line: 13 })]),
      },
      {
        what: 'a nested reference the registry does not hold is 422 (compiled in isolation against the registry)',
        when: put('account.g', '1.0.0', group('account.leaf')),
        status: 422,
        then: ({ body }) => expect(body.error?.details?.[0]?.code).toBe('PW4001'),
      },
      {
        what: 'a nested reference the registry holds resolves',
        given: [publishStep('leaf', '1.0.0')],
        when: put('account.g', '1.0.0', group('account.leaf')),
        status: 201,
      },
      {
        what: 'a Handlebars use of an undeclared input is 422',
        when: put(
          'account.h',
          '1.0.0',
          stepTemplate('h', '1.0.0', { inputs: '  inputs:\n    n: {type: string}\n', command: 'echo {{inputs.nope}}' }),
        ),
        status: 422,
        then: ({ body }) => expect(body.error?.details?.[0]?.code).toBe('PW3007'),
      },
      {
        what: 'a required input with a regex is left open, not refused',
        when: put(
          'account.req',
          '1.0.0',
          stepTemplate('req', '1.0.0', { inputs: '  inputs:\n    n: {type: string, regex: "^x+$"}\n', command: 'echo {{inputs.n}}' }),
        ),
        status: 201,
      },
      {
        what: 'a step may use pipeline and stage variables its consumers declare',
        when: put(
          'account.uses_vars',
          '1.0.0',
          stepTemplate('uses_vars', '1.0.0', { command: 'deploy <+pipeline.variables.region> <+stage.variables.env>' }),
        ),
        status: 201,
      },
      {
        what: 'a stage may use pipeline variables and its own declared stage variables',
        when: put('account.st', '1.0.0', stage('echo <+pipeline.variables.region> <+stage.variables.env>')),
        status: 201,
      },
      {
        what: "a stage's own undeclared stage variable is 422",
        when: put('account.st2', '1.0.0', stage('echo <+stage.variables.nope>', 'st2')),
        status: 422,
        then: ({ body }) => expect(body.error?.details?.[0]).toMatchObject({ code: 'PW3012' }),
      },
    ]),
  )('%s', runRow);
});

describe('one version', () => {
  test.each(
    table([
      {
        what: 'a version answers its parsed content and its source text',
        given: [publishStep('redis', '1.0.0')],
        when: { method: 'get', path: VERSION },
        status: 200,
        body: { content: { template: { identifier: 'redis' } }, source: containing('versionLabel: "1.0.0"') },
      },
      {
        what: "a version's validator covers its digest and its status",
        given: [publishStep('redis', '1.0.0')],
        when: { method: 'get', path: VERSION },
        status: 200,
        then: ({ headers }, [published]) =>
          expect(headers['etag']).toMatch(new RegExp(`^"${published!.body.digest};status=[0-9a-f]{12}"$`)),
      },
      {
        what: 'a version answer carries mutable status: caches revalidate it every time',
        given: [publishStep('redis', '1.0.0')],
        when: { method: 'get', path: VERSION },
        status: 200,
        headers: { 'cache-control': 'public, no-cache' },
      },
      {
        what: 'a version answer the client holds (If-None-Match) is 304',
        given: [publishStep('redis', '1.0.0'), get(VERSION)],
        when: ([, first]) => ({ method: 'get', path: VERSION, headers: { 'If-None-Match': first!.headers['etag']! } }),
        status: 304,
      },
    ]),
  )('%s', runRow);
});

describe('list and search', () => {
  const two = [publishStep('redis', '1.0.0'), publishStep('lint', 'V1', { org: true })];
  test.each(
    table([
      {
        what: 'the list holds every template, by reference',
        given: two,
        when: { method: 'get', path: '/api/v1/templates' },
        status: 200,
        then: ({ body }) => expect(body.templates?.map((t) => t.ref)).toEqual(['account.redis', 'org.lint']),
      },
      {
        what: 'search matches text without case, and filters by type',
        given: two,
        when: { method: 'get', path: '/api/v1/templates?q=LINT&type=Step' },
        status: 200,
        then: ({ body }) => expect(body.templates?.map((t) => t.ref)).toEqual(['org.lint']),
      },
    ]),
  )('%s', runRow);
});
