import request from 'supertest';
import { describe, expect, test } from 'vitest';
import { integrityProblems } from '../../registry/index.js';
import { bearer, bootRegistry, stepTemplate } from './fixtures.js';

async function publish(r: ReturnType<typeof bootRegistry>, ref: string, version: string, yaml: string, token = r.tokens.publish) {
  return request(r.app).put(`/api/v1/templates/${ref}/versions/${version}`).set(bearer(token)).send({ yaml });
}

describe('registry API', () => {
  test('publish, get, list: versions are immutable and content-addressed', async () => {
    const r = bootRegistry();
    const first = await publish(r, 'account.redis', '1.0.0', stepTemplate('redis', '1.0.0'));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      ref: 'account.redis',
      version: '1.0.0',
      created: true,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const again = await publish(r, 'account.redis', '1.0.0', stepTemplate('redis', '1.0.0'));
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    const changed = await publish(r, 'account.redis', '1.0.0', stepTemplate('redis', '1.0.0', { command: 'different' }));
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('conflict');

    const v = await request(r.app).get('/api/v1/templates/account.redis/versions/1.0.0').set(bearer(r.tokens.read));
    expect(v.status).toBe(200);
    // The answer carries mutable status: its validator covers digest and status, revalidated.
    expect(v.headers['etag']).toMatch(new RegExp(`^"${first.body.digest};status=[0-9a-f]{12}"$`));
    expect(v.headers['cache-control']).toBe('public, no-cache');
    expect(v.body.content.template.identifier).toBe('redis');
    expect(v.body.source).toContain('versionLabel: "1.0.0"');
    const notModified = await request(r.app)
      .get('/api/v1/templates/account.redis/versions/1.0.0')
      .set(bearer(r.tokens.read))
      .set('If-None-Match', v.headers['etag']!);
    expect(notModified.status).toBe(304);

    await publish(r, 'org.lint', 'V1', stepTemplate('lint', 'V1', { org: true }));
    const list = await request(r.app).get('/api/v1/templates').set(bearer(r.tokens.read));
    expect(list.body.templates.map((t: { ref: string }) => t.ref)).toEqual(['account.redis', 'org.lint']);
    const search = await request(r.app).get('/api/v1/templates?q=LINT&type=Step').set(bearer(r.tokens.read));
    expect(search.body.templates.map((t: { ref: string }) => t.ref)).toEqual(['org.lint']);
  });

  test('stable follows the highest non-prerelease version until pinned; labels move', async () => {
    const r = bootRegistry();
    for (const v of ['1.0.0', '1.2.0', '2.0.0-rc.1']) expect((await publish(r, 'account.t', v, stepTemplate('t', v))).status).toBe(201);
    const get = () => request(r.app).get('/api/v1/templates/account.t').set(bearer(r.tokens.read));
    expect((await get()).body.labels).toEqual({ stable: '1.2.0' });
    expect(
      (await request(r.app).put('/api/v1/templates/account.t/labels/stable').set(bearer(r.tokens.publish)).send({ version: '1.0.0' }))
        .status,
    ).toBe(200);
    expect(
      (await request(r.app).put('/api/v1/templates/account.t/labels/canary').set(bearer(r.tokens.publish)).send({ version: '2.0.0-rc.1' }))
        .status,
    ).toBe(200);
    expect((await get()).body.labels).toEqual({ stable: '1.0.0', canary: '2.0.0-rc.1' });
    expect((await request(r.app).delete('/api/v1/templates/account.t/labels/stable').set(bearer(r.tokens.publish))).status).toBe(204);
    expect((await get()).body.labels).toEqual({ stable: '1.2.0', canary: '2.0.0-rc.1' });
    const labelled = await request(r.app).get('/api/v1/templates?label=canary').set(bearer(r.tokens.read));
    expect(labelled.body.templates).toHaveLength(1);
  });

  test('batch resolve: ranges, labels, yanked and deprecated versions, per-item errors', async () => {
    const r = bootRegistry();
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await publish(r, 'account.t', v, stepTemplate('t', v));
    await request(r.app).post('/api/v1/templates/account.t/versions/1.2.0/yank').set(bearer(r.tokens.admin)).expect(200);
    await request(r.app)
      .post('/api/v1/templates/account.t/versions/1.1.0/deprecate')
      .set(bearer(r.tokens.publish))
      .send({ message: 'use 2.x', sunset: '2027-01-31' })
      .expect(200);
    const res = await request(r.app)
      .post('/api/v1/resolve')
      .set(bearer(r.tokens.read))
      .send({
        requests: [
          { ref: 'account.t', selector: '^1' },
          { ref: 'account.t', selector: '1.2.0' },
          { ref: 'account.t' },
          { ref: 'account.t', selector: '^3' },
          { ref: 'account.none' },
          { ref: 'bad ref' },
        ],
      });
    expect(res.status).toBe(200);
    const results = res.body.results as Record<string, unknown>[];
    expect(results.map((x) => (x['ok'] ? x['version'] : (x['error'] as { code: string }).code))).toEqual([
      '1.1.0',
      '1.2.0',
      '1.1.0',
      'no_version',
      'not_found',
      'bad_request',
    ]);
    expect(results[0]).toMatchObject({ deprecation: { message: 'use 2.x', sunset: '2027-01-31' } });
    expect(results[1]).toMatchObject({ yanked: true });
    expect(results[3]).toMatchObject({ versions: ['1.2.0', '1.1.0', '1.0.0'] });
  });

  test('publish validates the schema, identity and compiles in isolation (nested refs against the registry)', async () => {
    const r = bootRegistry();
    const bad = await publish(
      r,
      'account.x',
      '1.0.0',
      'template:\n  name: x\n  identifier: x\n  versionLabel: 1.0.0\n  type: Step\n  spec: {type: Run, spec: {shell: Fish, command: x}}\n',
    );
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0]).toMatchObject({ code: 'PW2001', line: 6, file: 'registry:account.x@1.0.0' });
    expect((await publish(r, 'account.y', '1.0.0', stepTemplate('x', '1.0.0'))).status).toBe(422);
    expect((await publish(r, 'account.x', '2.0.0', stepTemplate('x', '1.0.0'))).status).toBe(422);
    const group = (inner: string) =>
      `template:\n  name: g\n  identifier: g\n  versionLabel: 1.0.0\n  type: StepGroup\n  spec:\n    steps:\n      - step: {name: a, identifier: a, template: {templateRef: ${inner}, versionLabel: ^1}}\n`;
    const missing = await publish(r, 'account.g', '1.0.0', group('account.leaf'));
    expect(missing.status).toBe(422);
    expect(missing.body.error.details[0].code).toBe('PW4001');
    await publish(r, 'account.leaf', '1.0.0', stepTemplate('leaf', '1.0.0'));
    expect((await publish(r, 'account.g', '1.0.0', group('account.leaf'))).status).toBe(201);
    const handlebars = await publish(
      r,
      'account.h',
      '1.0.0',
      stepTemplate('h', '1.0.0', { inputs: '  inputs:\n    n: {type: string}\n', command: 'echo {{inputs.nope}}' }),
    );
    expect(handlebars.status).toBe(422);
    expect(handlebars.body.error.details[0].code).toBe('PW3007');
    const required = await publish(
      r,
      'account.req',
      '1.0.0',
      stepTemplate('req', '1.0.0', { inputs: '  inputs:\n    n: {type: string, regex: "^x+$"}\n', command: 'echo {{inputs.n}}' }),
    );
    expect(required.status).toBe(201);
  });

  test("variables a consumer declares do not stop a publish; a stage template's own do", async () => {
    const r = bootRegistry();
    const step = stepTemplate('uses_vars', '1.0.0', { command: 'deploy <+pipeline.variables.region> <+stage.variables.env>' });
    expect((await publish(r, 'account.uses_vars', '1.0.0', step)).status).toBe(201);
    const stage = (cmd: string) =>
      `template:\n  name: st\n  identifier: st\n  versionLabel: 1.0.0\n  type: Stage\n  spec:\n    type: CI\n    variables:\n      - {name: env, type: String, value: prod}\n    spec:\n      execution:\n        steps:\n          - step: {type: Run, name: a, identifier: a, spec: {command: "${cmd}"}}\n`;
    expect((await publish(r, 'account.st', '1.0.0', stage('echo <+pipeline.variables.region> <+stage.variables.env>'))).status).toBe(201);
    const own = await publish(
      r,
      'account.st2',
      '1.0.0',
      stage('echo <+stage.variables.nope>').replace(/identifier: st\n/, 'identifier: st2\n'),
    );
    expect(own.status).toBe(422);
    expect(own.body.error.details[0]).toMatchObject({ code: 'PW3012' });
  });

  test('diff: unified patch of canonical content and input changes', async () => {
    const r = bootRegistry();
    await publish(
      r,
      'account.d',
      '1.0.0',
      stepTemplate('d', '1.0.0', {
        inputs: '  inputs:\n    a: {type: string, default: x}\n    b: {type: number, default: 1}\n',
        command: 'echo {{inputs.a}}',
      }),
    );
    await publish(
      r,
      'account.d',
      '2.0.0',
      stepTemplate('d', '2.0.0', {
        inputs: '  inputs:\n    a: {type: string, default: y}\n    b: {type: string, default: "1"}\n    c: {type: string}\n',
        command: 'echo {{inputs.a}} {{inputs.c}}',
      }),
    );
    const res = await request(r.app).get('/api/v1/templates/account.d/diff?from=1.0.0&to=2.0.0').set(bearer(r.tokens.read));
    expect(res.status).toBe(200);
    expect(res.body.patch).toMatch(/^-.*echo \{\{inputs\.a\}\}"?$/m);
    expect(res.body.patch).toMatch(/^\+.*echo \{\{inputs\.a\}\} \{\{inputs\.c\}\}"?$/m);
    expect(res.body.inputs).toEqual({
      added: ['c'],
      removed: [],
      retyped: [{ name: 'b', from: 'number', to: 'string' }],
      defaultChanged: [
        { name: 'a', from: 'x', to: 'y' },
        { name: 'b', from: 1, to: '1' },
      ],
      nowRequired: ['c'],
    });
  });

  test('a cached version answer changes when the version is deprecated or yanked', async () => {
    const r = bootRegistry();
    await publish(r, 'account.c', '1.0.0', stepTemplate('c', '1.0.0'));
    const get = () => request(r.app).get('/api/v1/templates/account.c/versions/1.0.0').set(bearer(r.tokens.read));
    expect((await get()).body.deprecation).toBeUndefined();
    await request(r.app)
      .post('/api/v1/templates/account.c/versions/1.0.0/deprecate')
      .set(bearer(r.tokens.publish))
      .send({ message: 'old' })
      .expect(200);
    expect((await get()).body.deprecation).toEqual({ message: 'old' });
    await request(r.app).post('/api/v1/templates/account.c/versions/1.0.0/yank').set(bearer(r.tokens.admin)).expect(200);
    expect((await get()).body.yanked).toBe(true);
  });

  test('events record who did what', async () => {
    const r = bootRegistry();
    await publish(r, 'account.e', '1.0.0', stepTemplate('e', '1.0.0'));
    await request(r.app).put('/api/v1/templates/account.e/labels/canary').set(bearer(r.tokens.publish)).send({ version: '1.0.0' });
    const res = await request(r.app).get('/api/v1/events').set(bearer(r.tokens.read));
    expect(res.body.events.map((e: { actor: string; action: string }) => `${e.actor}:${e.action}`)).toEqual(['ci:publish', 'ci:label']);
    const after = await request(r.app).get(`/api/v1/events?after=${res.body.events[0].id}`).set(bearer(r.tokens.read));
    expect(after.body.events).toHaveLength(1);
  });

  test.each([
    ['no token', 'get', '/api/v1/templates', undefined, 401],
    ['bad token', 'get', '/api/v1/templates', 'pw_000000000000_nottherightsecretatall', 401],
    ['read token publishing', 'put', '/api/v1/templates/account.a/versions/1.0.0', 'read', 403],
    ['publish token yanking', 'post', '/api/v1/templates/account.a/versions/1.0.0/yank', 'publish', 403],
    ['reference outside the grammar', 'get', '/api/v1/templates/team.a', 'read', 400],
    ['version outside the grammar', 'get', '/api/v1/templates/account.a/versions/..%2F..', 'read', 400],
    ['unknown template', 'get', '/api/v1/templates/account.nope', 'read', 404],
    ['unknown version', 'get', '/api/v1/templates/account.nope/versions/1.0.0', 'read', 404],
    ['unknown route', 'get', '/api/v1/nothing', 'read', 404],
    ['diff without versions', 'get', '/api/v1/templates/account.a/diff', 'read', 400],
    ['label of an unknown version', 'put', '/api/v1/templates/account.a/labels/x', 'publish', 400],
  ] as const)('%s → %i with the JSON error shape', async (_what, method, url, token, status) => {
    const r = bootRegistry();
    let req = request(r.app)[method](url);
    if (token) req = req.set(bearer(token in r.tokens ? r.tokens[token as keyof typeof r.tokens] : token));
    const res = await req;
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  test('malformed JSON is 400, a body over 1 MB is 413, anonymous reads when enabled', async () => {
    const r = bootRegistry();
    const bad = await request(r.app)
      .put('/api/v1/templates/account.a/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .set('Content-Type', 'application/json')
      .send('{"yaml": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    const big = await request(r.app)
      .put('/api/v1/templates/account.a/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: 'x'.repeat(1_100_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const anon = bootRegistry({ anonymousRead: true });
    expect((await request(anon.app).get('/api/v1/templates')).status).toBe(200);
    expect((await request(anon.app).put('/api/v1/templates/account.a/versions/1.0.0').send({ yaml: 'x' })).status).toBe(401);
  });

  test('healthz and an OpenAPI document that describes every route of the router', async () => {
    const r = bootRegistry();
    expect((await request(r.app).get('/healthz')).body).toEqual({ ok: true });
    const doc = (await request(r.app).get('/openapi.json')).body;
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
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).some(
        ([p, ops]) => (p === path || p === `/api/v1${path}`) && method in ops,
      );
      expect(documented, `${route} is not in openapi.json`).toBe(true);
    }
    expect(integrityProblems(r.db)).toEqual([]);
  });
});
