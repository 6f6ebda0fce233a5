/**
 * A mistaken deprecation or yank can be undone (issue 16, point 6): `undeprecate` and
 * `unyank` (admin), each recorded in the events; the CLI's `template undeprecate|unyank`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { deprecate, get, publishStep, runRow, table, yank, type Call } from './api-table.js';
import { stepTemplate } from './fixtures.js';
import { liveRegistries } from './live-registry.js';

const VERSION = '/api/v1/templates/account.u/versions/1.0.0';
const post = (action: string, as: Call['as'] = 'admin'): Call => ({ method: 'post', path: `${VERSION}/${action}`, as });
const resolveRange = (): Call => ({
  method: 'post',
  path: '/api/v1/resolve',
  as: 'read',
  body: { requests: [{ ref: 'account.u', selector: '^1' }] },
});

describe('undo a deprecation or a yank', () => {
  test.each(
    table([
      {
        what: 'undeprecate clears the deprecation',
        given: [publishStep('u', '1.0.0'), deprecate('account.u', '1.0.0', { message: 'old', sunset: '2030-01-01' })],
        when: post('undeprecate'),
        status: 200,
        then: ({ body }) => expect(body.deprecation).toBeUndefined(),
      },
      {
        what: 'a version served before the undeprecate shows it after',
        given: [
          publishStep('u', '1.0.0'),
          deprecate('account.u', '1.0.0', { message: 'old' }),
          get(VERSION),
          { ...post('undeprecate'), status: 200 },
        ],
        when: { method: 'get', path: VERSION },
        status: 200,
        then: ({ body }) => expect(body.deprecation).toBeUndefined(),
      },
      {
        what: 'unyank makes ranges choose the version again',
        given: [
          publishStep('u', '1.0.0'),
          yank('account.u', '1.0.0'),
          { ...resolveRange(), status: 200 },
          { ...post('unyank'), status: 200 },
        ],
        when: resolveRange(),
        status: 200,
        then: ({ body }) => expect(body.results).toEqual([expect.objectContaining({ ok: true, version: '1.0.0' })]),
      },
      {
        what: 'unyank answers the version, no longer yanked',
        given: [publishStep('u', '1.0.0'), yank('account.u', '1.0.0')],
        when: post('unyank'),
        status: 200,
        then: ({ body }) => expect(body.yanked).toBe(false),
      },
      {
        what: 'undeprecate needs an admin token',
        given: [publishStep('u', '1.0.0'), deprecate('account.u', '1.0.0', { message: 'old' })],
        when: post('undeprecate', 'publish'),
        status: 403,
      },
      {
        what: 'unyank needs an admin token',
        given: [publishStep('u', '1.0.0'), yank('account.u', '1.0.0')],
        when: post('unyank', 'publish'),
        status: 403,
      },
      {
        what: 'each undo is an event; undoing what was not done changes nothing and records nothing',
        given: [
          publishStep('u', '1.0.0'),
          deprecate('account.u', '1.0.0', { message: 'old' }),
          { ...post('undeprecate'), status: 200 },
          { ...post('undeprecate'), status: 200 },
          yank('account.u', '1.0.0'),
          { ...post('unyank'), status: 200 },
          { ...post('unyank'), status: 200 },
        ],
        when: get('/api/v1/events'),
        status: 200,
        then: ({ body }) => expect(body.events?.map((e) => e.action)).toEqual(['publish', 'deprecate', 'undeprecate', 'yank', 'unyank']),
      },
      {
        what: 'an undo says whether it changed anything',
        given: [publishStep('u', '1.0.0'), yank('account.u', '1.0.0')],
        when: post('unyank'),
        status: 200,
        body: { changed: true, yanked: false },
      },
      {
        what: 'an undo of what was not done answers changed false',
        given: [publishStep('u', '1.0.0')],
        when: post('undeprecate'),
        status: 200,
        body: { changed: false },
      },
      {
        what: 'an unknown version is a 404',
        given: [publishStep('u', '1.0.0')],
        when: { method: 'post', path: '/api/v1/templates/account.u/versions/9.9.9/unyank', as: 'admin' },
        status: 404,
      },
    ]),
  )('%s', runRow);
});

const live = liveRegistries();

describe('template undeprecate and unyank', () => {
  test('undo from the command line', async () => {
    const { dir, cli } = await live();
    writeFileSync(join(dir, 'u.yaml'), stepTemplate('u', '1.0.0', {}));
    expect((await cli('template', 'publish', 'u.yaml')).code).toBe(0);
    expect((await cli('template', 'deprecate', 'account.u@1.0.0', '--message', 'oops')).code).toBe(0);
    const un = await cli('template', 'undeprecate', 'account.u@1.0.0');
    expect(un.code).toBe(0);
    expect(un.stdout).toBe('undeprecated account.u@1.0.0\n');
    expect((await cli('template', 'yank', 'account.u@1.0.0')).code).toBe(0);
    const unyank = await cli('template', 'unyank', 'account.u@1.0.0');
    expect(unyank.code).toBe(0);
    expect(unyank.stdout).toBe('unyanked account.u@1.0.0\n');
    expect((await cli('template', 'versions', 'account.u')).stdout).not.toMatch(/yanked|deprecated/);
    // Nothing to undo, or to do again: said so, exit 0.
    expect((await cli('template', 'unyank', 'account.u@1.0.0')).stdout).toBe('account.u@1.0.0 was not yanked: nothing to undo\n');
    expect((await cli('template', 'undeprecate', 'account.u@1.0.0')).stdout).toBe('account.u@1.0.0 was not deprecated: nothing to undo\n');
    expect((await cli('template', 'yank', 'account.u@1.0.0')).code).toBe(0);
    expect(await cli('template', 'yank', 'account.u@1.0.0')).toMatchObject({
      code: 0,
      stdout: 'account.u@1.0.0 was already yanked: nothing changed\n',
    });
  });
});
