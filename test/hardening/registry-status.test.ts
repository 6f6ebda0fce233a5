/**
 * A version's mutable status (yanked, deprecated) is never served stale: not by a second
 * server process on the same SQLite file after ~1 s, and not as a 304 to a client holding the
 * ETag from before the change. Immutable content stays cacheable forever under its digest.
 */
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { createToken, openDatabase, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { tempDir } from '../helpers.js';
import { bearer, bootRegistry, stepTemplate } from '../registry/fixtures.js';
import { killChildren, serveProcess } from '../registry/serve.js';
import type { ApiErrorBody, PublishBody, VersionBody } from '../support/api-json.js';

const running: RunningRegistry[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  killChildren();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('status across server processes', () => {
  test('two servers on one SQLite file: a yank or deprecation through one is served by the other within 1 s', async () => {
    const dbFile = join(tempDir({}, 'pw-two-'), 'r.db');
    const setup = openDatabase(dbFile);
    const admin = createToken(setup, 'boss', 'admin');
    setup.close();
    const [a, b] = await Promise.all([startRegistry({ db: dbFile, port: 0, log: () => undefined }), serveProcess(dbFile)]);
    running.push(a);
    const path = '/api/v1/templates/account.t/versions/1.0.0';
    expect((await call(a.url, admin, 'PUT', path, { yaml: stepTemplate('t', '1.0.0') })).status).toBe(201);
    // Both servers have answered (and cached) the version before the change.
    for (const url of [a.url, b.url]) expect((await call(url, admin, 'GET', path)).body).toMatchObject({ yanked: false });
    const before = (await call(b.url, admin, 'GET', path)).headers.get('etag')!;

    expect((await call(a.url, admin, 'POST', `${path}/yank`)).status).toBe(200);
    await sleep(1000);
    const afterYank = await call(b.url, admin, 'GET', path);
    expect(afterYank.body).toMatchObject({ yanked: true });
    expect(afterYank.headers.get('etag')).not.toBe(before);

    expect((await call(b.url, admin, 'POST', `${path}/deprecate`, { message: 'use 2.x', sunset: '2030-01-31' })).status).toBe(200);
    await sleep(1000);
    expect((await call(a.url, admin, 'GET', path)).body).toMatchObject({
      yanked: true,
      deprecation: { message: 'use 2.x', sunset: '2030-01-31' },
    });
  }, 60_000);
});

describe('HTTP caching of a version', () => {
  test('after a yank, If-None-Match with the old ETag answers 200 with the new status, not 304', async () => {
    const r = bootRegistry();
    await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    const path = '/api/v1/templates/account.t/versions/1.0.0';
    const first = await request(r.app).get(path).set(bearer(r.tokens.read)).expect(200);
    const etag = first.headers['etag']!;
    expect(first.headers['cache-control']).not.toMatch(/immutable|max-age=[1-9]/);
    await request(r.app).get(path).set(bearer(r.tokens.read)).set('If-None-Match', etag).expect(304);

    await request(r.app).post(`${path}/yank`).set(bearer(r.tokens.admin)).expect(200);
    const after = await request(r.app).get(path).set(bearer(r.tokens.read)).set('If-None-Match', etag);
    expect(after.status).toBe(200);
    expect((after.body as VersionBody).yanked).toBe(true);
    expect(after.headers['etag']).not.toBe(etag);

    await request(r.app).post(`${path}/deprecate`).set(bearer(r.tokens.publish)).send({ message: 'old' }).expect(200);
    const deprecated = await request(r.app).get(path).set(bearer(r.tokens.read)).set('If-None-Match', after.headers['etag']!);
    expect(deprecated.status).toBe(200);
    expect((deprecated.body as VersionBody).deprecation).toEqual({ message: 'old' });
  });

  test('content by digest is immutable: cached forever, ETag = digest, 304 on If-None-Match', async () => {
    const r = bootRegistry();
    const pub = await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    const digest = (pub.body as PublishBody).digest;
    const res = await request(r.app).get(`/api/v1/content/${digest}`).set(bearer(r.tokens.read)).expect(200);
    expect(res.headers['etag']).toBe(`"${digest}"`);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toMatchObject({ digest, content: { template: { identifier: 't' } }, source: stepTemplate('t', '1.0.0') });
    expect(res.body).not.toHaveProperty('yanked');
    await request(r.app).get(`/api/v1/content/${digest}`).set(bearer(r.tokens.read)).set('If-None-Match', `"${digest}"`).expect(304);
    const missing = await request(r.app)
      .get(`/api/v1/content/sha256:${'0'.repeat(64)}`)
      .set(bearer(r.tokens.read));
    expect(missing.status).toBe(404);
    expect((missing.body as ApiErrorBody).error.code).toBe('not_found');
    expect((await request(r.app).get('/api/v1/content/nonsense').set(bearer(r.tokens.read))).status).toBe(400);
    expect((await request(r.app).get(`/api/v1/content/${digest}`)).status).toBe(401);
  });
});
