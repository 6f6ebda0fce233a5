/**
 * The API's routes over published versions, one behaviour a case: labels and the computed
 * `stable`, batch resolve, deprecation and yank as a version's answer shows them, diff and
 * the event log.
 */
import { describe, expect, test } from 'vitest';
import { deprecate, get, label, publishStep, runRow, table, unlabel, yank, type Call } from './api-table.js';

const template = (ref: string): Call => ({ method: 'get', path: `/api/v1/templates/${ref}` });

describe('labels', () => {
  const three = ['1.0.0', '1.2.0', '2.0.0-rc.1'].map((v) => publishStep('t', v));
  const pinned = [...three, label('account.t', 'stable', '1.0.0'), label('account.t', 'canary', '2.0.0-rc.1')];
  test.each(
    table([
      {
        what: 'stable is the highest non-prerelease version until pinned',
        given: three,
        when: template('account.t'),
        status: 200,
        then: ({ body }) => expect(body.labels).toEqual({ stable: '1.2.0' }),
      },
      {
        what: 'a publisher pins stable to a version',
        given: three,
        when: { method: 'put', path: '/api/v1/templates/account.t/labels/stable', body: { version: '1.0.0' } },
        status: 200,
        body: { changed: true },
      },
      {
        what: 'pointing a label where it already points changes nothing: changed false, no event (CI re-runs)',
        given: pinned,
        when: { method: 'put', path: '/api/v1/templates/account.t/labels/stable', body: { version: '1.0.0' } },
        status: 200,
        body: { ref: 'account.t', label: 'stable', version: '1.0.0', changed: false },
      },
      {
        what: 'a label set again where it points records no event',
        given: [...pinned, label('account.t', 'stable', '1.0.0'), label('account.t', 'canary', '2.0.0-rc.1')],
        when: { method: 'get', path: '/api/v1/events' },
        status: 200,
        then: ({ body }) => expect(body.events!.filter((e) => e.action === 'label')).toHaveLength(2),
      },
      {
        what: 'a publisher sets another label',
        given: three,
        when: { method: 'put', path: '/api/v1/templates/account.t/labels/canary', body: { version: '2.0.0-rc.1' } },
        status: 200,
      },
      {
        what: 'a template shows its labels, stable pinned',
        given: pinned,
        when: template('account.t'),
        status: 200,
        then: ({ body }) => expect(body.labels).toEqual({ stable: '1.0.0', canary: '2.0.0-rc.1' }),
      },
      {
        what: 'a publisher removes a label: 204',
        given: pinned,
        when: { method: 'delete', path: '/api/v1/templates/account.t/labels/stable' },
        status: 204,
      },
      {
        what: 'with its pin removed, stable follows the highest version again',
        given: [...pinned, unlabel('account.t', 'stable')],
        when: template('account.t'),
        status: 200,
        then: ({ body }) => expect(body.labels).toEqual({ stable: '1.2.0', canary: '2.0.0-rc.1' }),
      },
      {
        what: 'the list filters by label',
        given: pinned,
        when: { method: 'get', path: '/api/v1/templates?label=canary' },
        status: 200,
        then: ({ body }) => expect(body.templates).toHaveLength(1),
      },
    ]),
  )('%s', runRow);
});

describe('batch resolve', () => {
  // 1.2.0 yanked, 1.1.0 deprecated.
  const given = [
    ...['1.0.0', '1.1.0', '1.2.0'].map((v) => publishStep('t', v)),
    yank('account.t', '1.2.0'),
    deprecate('account.t', '1.1.0', { message: 'use 2.x', sunset: '2027-01-31' }),
  ];
  const resolve = (...requests: object[]): Call => ({ method: 'post', path: '/api/v1/resolve', body: { requests } });
  test.each(
    table([
      {
        what: 'a batch answers each reference in request order, per-item errors included',
        given,
        when: resolve(
          { ref: 'account.t', selector: '^1' },
          { ref: 'account.t', selector: '1.2.0' },
          { ref: 'account.t' },
          { ref: 'account.t', selector: '^3' },
          { ref: 'account.none' },
          { ref: 'bad ref' },
        ),
        status: 200,
        then: ({ body }) =>
          expect(body.results?.map((x) => (x.ok ? x.version : x.error.code))).toEqual([
            '1.1.0',
            '1.2.0',
            '1.1.0',
            'no_version',
            'not_found',
            'bad_request',
          ]),
      },
      {
        what: 'a range skips yanked versions and answers the deprecation of the one it picks',
        given,
        when: resolve({ ref: 'account.t', selector: '^1' }),
        status: 200,
        body: { results: [{ ok: true, version: '1.1.0', deprecation: { message: 'use 2.x', sunset: '2027-01-31' } }] },
      },
      {
        what: 'an exact version resolves even when yanked, marked yanked',
        given,
        when: resolve({ ref: 'account.t', selector: '1.2.0' }),
        status: 200,
        body: { results: [{ ok: true, version: '1.2.0', yanked: true }] },
      },
      {
        what: 'no selector means stable',
        given,
        when: resolve({ ref: 'account.t' }),
        status: 200,
        body: { results: [{ ok: true, version: '1.1.0' }] },
      },
      {
        what: 'a selector nothing matches is no_version, with the versions there are',
        given,
        when: resolve({ ref: 'account.t', selector: '^3' }),
        status: 200,
        body: { results: [{ ok: false, error: { code: 'no_version' }, versions: ['1.2.0', '1.1.0', '1.0.0'] }] },
      },
      {
        what: 'an unknown template is not_found',
        given,
        when: resolve({ ref: 'account.none' }),
        status: 200,
        body: { results: [{ ok: false, error: { code: 'not_found' } }] },
      },
      {
        what: 'a malformed reference is a per-item bad_request',
        given,
        when: resolve({ ref: 'bad ref' }),
        status: 200,
        body: { results: [{ ok: false, error: { code: 'bad_request' } }] },
      },
    ]),
  )('%s', runRow);
});

describe("a version's status in its (cached) answer", () => {
  const VERSION = '/api/v1/templates/account.c/versions/1.0.0';
  test.each(
    table([
      {
        what: 'a fresh version has no deprecation',
        given: [publishStep('c', '1.0.0')],
        when: get(VERSION),
        status: 200,
        then: ({ body }) => expect(body.deprecation).toBeUndefined(),
      },
      {
        what: 'a deprecation shows in an answer served before it',
        given: [publishStep('c', '1.0.0'), get(VERSION), deprecate('account.c', '1.0.0', { message: 'old' })],
        when: get(VERSION),
        status: 200,
        then: ({ body }) => expect(body.deprecation).toEqual({ message: 'old' }),
      },
      {
        what: 'a yank shows in an answer served before it',
        given: [
          publishStep('c', '1.0.0'),
          get(VERSION),
          deprecate('account.c', '1.0.0', { message: 'old' }),
          get(VERSION),
          yank('account.c', '1.0.0'),
        ],
        when: get(VERSION),
        status: 200,
        then: ({ body }) => expect(body.yanked).toBe(true),
      },
    ]),
  )('%s', runRow);
});

describe('diff', () => {
  const given = [
    publishStep('d', '1.0.0', {
      inputs: '  inputs:\n    a: {type: string, default: x}\n    b: {type: number, default: 1}\n',
      command: 'echo {{inputs.a}}',
    }),
    publishStep('d', '2.0.0', {
      inputs: '  inputs:\n    a: {type: string, default: y}\n    b: {type: string, default: "1"}\n    c: {type: string}\n',
      command: 'echo {{inputs.a}} {{inputs.c}}',
    }),
  ];
  const DIFF = get('/api/v1/templates/account.d/diff?from=1.0.0&to=2.0.0');
  test.each(
    table([
      {
        what: 'a diff is a unified patch of the canonical content',
        given,
        when: DIFF,
        status: 200,
        then: ({ body }) => {
          expect(body.patch).toMatch(/^-.*echo \{\{inputs\.a\}\}"?$/m);
          expect(body.patch).toMatch(/^\+.*echo \{\{inputs\.a\}\} \{\{inputs\.c\}\}"?$/m);
        },
      },
      {
        what: 'a diff sums up input changes',
        given,
        when: DIFF,
        status: 200,
        then: ({ body }) =>
          expect(body.inputs).toEqual({
            added: ['c'],
            removed: [],
            retyped: [{ name: 'b', from: 'number', to: 'string' }],
            defaultChanged: [
              { name: 'a', from: 'x', to: 'y' },
              { name: 'b', from: 1, to: '1' },
            ],
            nowRequired: ['c'],
          }),
      },
    ]),
  )('%s', runRow);
});

describe('events', () => {
  const given = [publishStep('e', '1.0.0'), label('account.e', 'canary', '1.0.0')];
  test.each(
    table([
      {
        what: 'events record who did what',
        given,
        when: get('/api/v1/events'),
        status: 200,
        then: ({ body }) => expect(body.events?.map((e) => `${e.actor}:${e.action}`)).toEqual(['ci:publish', 'ci:label']),
      },
      {
        what: 'events page on from an id',
        given: [...given, get('/api/v1/events')],
        when: ([, , all]) => get(`/api/v1/events?after=${all!.body.events![0]!.id}`),
        status: 200,
        then: ({ body }) => expect(body.events).toHaveLength(1),
      },
    ]),
  )('%s', runRow);
});
