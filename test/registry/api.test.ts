/**
 * The API's refusals, one behaviour a case: tokens and scopes, malformed path parameters
 * (each route family, API and pages, with today's status and error body; a missing or weak
 * token still comes first), unknown things, bodies, anonymous reads; and the routes' health
 * check and OpenAPI document.
 */
import request from 'supertest';
import { describe, expect, test } from 'vitest';
import { integrityProblems } from '../../registry/index.js';
import { publishStep, runRow, table, type ApiCase, type Call } from './api-table.js';
import { bootRegistry } from './fixtures.js';

/** The error body of a 400 for a malformed parameter. */
const badRequest = (message: string) => ({ error: { code: 'bad_request', message } });
const BAD_REF = "'team.a' is not a template reference (account.<id>, org.<id> or <id>)";
const badVersion = (v: string) => `'${v}' is not a version (letters, digits, . _ + -, at most 64)`;
const BAD_LABEL = "'Bad' is not a label name (lower case letters, digits, - and _)";

describe('tokens, scopes and unknown things', () => {
  test.each(
    table([
      { what: 'no token: 401', when: { method: 'get', path: '/api/v1/templates', as: 'nobody' }, status: 401 },
      {
        what: 'a token that is not valid: 401',
        when: { method: 'get', path: '/api/v1/templates', as: { token: 'pw_000000000000_nottherightsecretatall' } },
        status: 401,
      },
      {
        what: 'an Authorization header that is not Bearer: 401',
        when: { method: 'get', path: '/api/v1/templates', as: { authorization: 'Basic cmVhZGVyOng=' } },
        status: 401,
        exact: { error: { code: 'unauthorized', message: 'the bearer token is not valid' } },
      },
      {
        what: 'the Bearer scheme is read in any case',
        when: { method: 'get', path: '/api/v1/templates', as: { scheme: 'bEARER ', scope: 'read' } },
        status: 200,
      },
      {
        what: 'a read token publishing: 403',
        when: { method: 'put', path: '/api/v1/templates/account.a/versions/1.0.0', as: 'read' },
        status: 403,
      },
      {
        what: 'a publish token yanking: 403',
        when: { method: 'post', path: '/api/v1/templates/account.a/versions/1.0.0/yank', as: 'publish' },
        status: 403,
      },
      { what: 'a reference outside the grammar: 400', when: { method: 'get', path: '/api/v1/templates/team.a' }, status: 400 },
      {
        what: 'a version outside the grammar: 400',
        when: { method: 'get', path: '/api/v1/templates/account.a/versions/..%2F..' },
        status: 400,
      },
      { what: 'an unknown template: 404', when: { method: 'get', path: '/api/v1/templates/account.nope' }, status: 404 },
      { what: 'an unknown version: 404', when: { method: 'get', path: '/api/v1/templates/account.nope/versions/1.0.0' }, status: 404 },
      { what: 'an unknown route: 404', when: { method: 'get', path: '/api/v1/nothing' }, status: 404 },
      { what: 'a diff without versions: 400', when: { method: 'get', path: '/api/v1/templates/account.a/diff' }, status: 400 },
      {
        what: 'a label without a version: 400',
        when: { method: 'put', path: '/api/v1/templates/account.a/labels/x', as: 'publish' },
        status: 400,
      },
    ]),
  )('%s, with the JSON error shape', runRow);
});

/**
 * Cases for a route family's malformed path parameters: `path(ref, version, label)` builds its
 * URL, `has` names the parameters it takes besides the reference.
 */
function malformed(
  family: string,
  call: Omit<Call, 'path'>,
  path: (ref: string, version: string, label: string) => string,
  has: ('version' | 'label')[] = [],
): ApiCase[] {
  const cases: ApiCase[] = [
    {
      what: `${family}: a malformed reference is 400`,
      when: { ...call, path: path('team.a', '1.0.0', 'x') },
      status: 400,
      exact: badRequest(BAD_REF),
    },
  ];
  if (has.includes('version'))
    cases.push(
      {
        what: `${family}: a malformed version is 400`,
        when: { ...call, path: path('account.a', '..%2F..', 'x') },
        status: 400,
        exact: badRequest(badVersion('../..')),
      },
      {
        what: `${family}: the reference is checked before the version`,
        when: { ...call, path: path('team.a', '..%2F..', 'x') },
        status: 400,
        exact: badRequest(BAD_REF),
      },
    );
  if (has.includes('label'))
    cases.push(
      {
        what: `${family}: a malformed label is 400`,
        when: { ...call, path: path('account.a', '1.0.0', 'Bad') },
        status: 400,
        exact: badRequest(BAD_LABEL),
      },
      {
        what: `${family}: the reference is checked before the label`,
        when: { ...call, path: path('team.a', '1.0.0', 'Bad') },
        status: 400,
        exact: badRequest(BAD_REF),
      },
    );
  cases.push({
    what: `${family}: without a token, a malformed reference is still 401`,
    when: { ...call, as: 'nobody', path: path('team.a', '..%2F..', 'Bad') },
    status: 401,
    exact: { error: { code: 'unauthorized', message: 'a valid bearer token is required' } },
  });
  return cases;
}

describe('malformed path parameters, route by route', () => {
  test.each(
    table([
      ...malformed('GET a template', { method: 'get' }, (ref) => `/api/v1/templates/${ref}`),
      ...malformed('GET a version', { method: 'get' }, (ref, v) => `/api/v1/templates/${ref}/versions/${v}`, ['version']),
      ...malformed('PUT a version', { method: 'put', body: { yaml: 'x' } }, (ref, v) => `/api/v1/templates/${ref}/versions/${v}`, [
        'version',
      ]),
      ...malformed('PUT a label', { method: 'put', body: { version: '1.0.0' } }, (ref, _v, l) => `/api/v1/templates/${ref}/labels/${l}`, [
        'label',
      ]),
      ...malformed('DELETE a label', { method: 'delete' }, (ref, _v, l) => `/api/v1/templates/${ref}/labels/${l}`, ['label']),
      ...malformed(
        'POST a deprecation',
        { method: 'post', body: { message: 'old' } },
        (ref, v) => `/api/v1/templates/${ref}/versions/${v}/deprecate`,
        ['version'],
      ),
      ...malformed('POST a yank', { method: 'post', as: 'admin' }, (ref, v) => `/api/v1/templates/${ref}/versions/${v}/yank`, ['version']),
      ...malformed('GET a diff', { method: 'get' }, (ref) => `/api/v1/templates/${ref}/diff?from=1.0.0&to=1.0.1`),
      {
        what: "PUT a version: a read token's 403 comes before a malformed reference",
        when: { method: 'put', path: '/api/v1/templates/team.a/versions/1.0.0', as: 'read' },
        status: 403,
        exact: { error: { code: 'forbidden', message: "this needs a publish token; 'reader' has read" } },
      },
      {
        what: "POST a yank: a publish token's 403 comes before a malformed version",
        when: { method: 'post', path: '/api/v1/templates/account.a/versions/x%2Fy/yank', as: 'publish' },
        status: 403,
        exact: { error: { code: 'forbidden', message: "this needs an admin token; 'ci' has publish" } },
      },
      {
        what: 'a label body whose version is malformed is 400 after the path parameters pass',
        when: { method: 'put', path: '/api/v1/templates/account.a/labels/ok', body: { version: '-1' } },
        status: 400,
        exact: badRequest(badVersion('-1')),
      },
      {
        what: 'a malformed digest is 400',
        when: { method: 'get', path: '/api/v1/content/sha256:xyz' },
        status: 400,
        exact: badRequest("'sha256:xyz' is not a digest (sha256:<64 hex>)"),
      },
      {
        what: 'the template page: a malformed reference is the 400 error page',
        when: { method: 'get', path: '/templates/team.a' },
        status: 400,
        text: '&#x27;team.a&#x27; is not a template reference (account.&lt;id&gt;, org.&lt;id&gt; or &lt;id&gt;)',
      },
      {
        what: 'the template page: a malformed version (query) is the 400 error page',
        given: [publishStep('a', '1.0.0')],
        when: { method: 'get', path: '/templates/account.a?version=..' },
        status: 400,
        text: '&#x27;..&#x27; is not a version',
      },
      {
        what: 'the diff page: a malformed reference is the 400 error page',
        when: { method: 'get', path: '/templates/team.a/diff?from=1.0.0&to=1.0.1' },
        status: 400,
        text: '&#x27;team.a&#x27; is not a template reference',
      },
      {
        what: 'the diff page: a malformed version is the 400 error page',
        when: { method: 'get', path: '/templates/account.a/diff?from=..&to=1.0.1' },
        status: 400,
        text: '&#x27;..&#x27; is not a version (letters, digits, . _ + -, at most 64)',
      },
      {
        what: 'the template page: without a reader, a malformed reference is still the sign-in page (401)',
        when: { method: 'get', path: '/templates/team.a', as: 'nobody' },
        status: 401,
        text: '<form method="post" action="/login">',
      },
      {
        what: 'the diff page: without a reader, a malformed reference is still the sign-in page (401)',
        when: { method: 'get', path: '/templates/team.a/diff?from=1&to=2', as: { authorization: 'Basic x' } },
        status: 401,
        text: '<form method="post" action="/login">',
      },
    ]),
  )('%s', runRow);
});

describe('bodies and anonymous reads', () => {
  const PUT = '/api/v1/templates/account.a/versions/1.0.0';
  test.each(
    table([
      {
        what: 'malformed JSON is 400',
        when: { method: 'put', path: PUT, type: 'application/json', body: '{"yaml": ' },
        status: 400,
        body: { error: { code: 'bad_request' } },
      },
      {
        what: 'a body over 1 MB is 413',
        when: { method: 'put', path: PUT, body: { yaml: 'x'.repeat(1_100_000) } },
        status: 413,
        body: { error: { code: 'payload_too_large' } },
      },
      {
        what: 'reads need no token when anonymous reads are on',
        registry: { anonymousRead: true },
        when: { method: 'get', path: '/api/v1/templates', as: 'nobody' },
        status: 200,
      },
      {
        what: 'publishing still needs a token when anonymous reads are on',
        registry: { anonymousRead: true },
        when: { method: 'put', path: PUT, as: 'nobody', body: { yaml: 'x' } },
        status: 401,
      },
    ]),
  )('%s', runRow);
});

describe('health and the OpenAPI document', () => {
  test('healthz answers ok', async () => {
    const r = bootRegistry();
    expect((await request(r.app).get('/healthz')).body).toEqual({ ok: true });
  });

  test('the OpenAPI document describes every route of the router', async () => {
    const r = bootRegistry();
    const doc = (await request(r.app).get('/openapi.json')).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const routes: string[] = [];
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.route)
          for (const m of Object.keys(layer.route.methods)) routes.push(`${m} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk((r.app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(routes.length).toBeGreaterThanOrEqual(13);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const documented = Object.entries(doc.paths).some(([p, ops]) => (p === path || p === `/api/v1${path}`) && method in ops);
      expect(documented, `${route} is not in openapi.json`).toBe(true);
    }
    expect(integrityProblems(r.db)).toEqual([]);
  });
});
