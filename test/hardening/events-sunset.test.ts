/**
 * Anonymous readers do not see the event log (token names and scopes), and a deprecation's
 * sunset is a real calendar date in the API and the CLI.
 */
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { createToken, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { runCli, tempDir } from '../helpers.js';
import { bearer, bootRegistry, stepTemplate } from '../registry/fixtures.js';
import type { ApiErrorBody, EventsBody, VersionBody } from '../support/api-json.js';
import { stringMatching } from '../support/matchers.js';

const running: RunningRegistry[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

describe('the event log and anonymous reads', () => {
  test('with --anonymous-read, templates are public but events need a read token', async () => {
    const r = bootRegistry({ anonymousRead: true });
    await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    createToken(r.db, 'deploy-bot', 'admin');
    r.store.record('cli:deploy-bot', 'token-create', { name: 'deploy-bot', scope: 'admin' });
    expect((await request(r.app).get('/api/v1/templates')).status).toBe(200);
    const anonymous = await request(r.app).get('/api/v1/events');
    expect(anonymous.status).toBe(401);
    expect((anonymous.body as ApiErrorBody).error.code).toBe('unauthorized');
    expect(JSON.stringify(anonymous.body)).not.toContain('deploy-bot');
    const reader = await request(r.app).get('/api/v1/events').set(bearer(r.tokens.read));
    expect(reader.status).toBe(200);
    expect((reader.body as EventsBody).events.map((e) => e.action)).toEqual(['publish', 'token-create']);
  });
});

describe('sunset dates', () => {
  test.each([
    '2026-13-45',
    '2027-01-01<script>',
    '2027-02-29',
    '2027-04-31',
    '2027-1-01',
    '27-01-01',
    ' 2027-01-01',
    '2027-01-01T00:00:00Z',
    '0000-00-00',
  ])('the API refuses sunset %j with 400 and stores nothing', async (sunset) => {
    const r = bootRegistry();
    await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    const res = await request(r.app)
      .post('/api/v1/templates/account.t/versions/1.0.0/deprecate')
      .set(bearer(r.tokens.publish))
      .send({ message: 'old', sunset });
    expect(res.status).toBe(400);
    expect((res.body as ApiErrorBody).error).toMatchObject({ code: 'bad_request', message: stringMatching(/YYYY-MM-DD/) });
    expect(
      ((await request(r.app).get('/api/v1/templates/account.t/versions/1.0.0').set(bearer(r.tokens.read))).body as VersionBody).deprecation,
    ).toBeUndefined();
  });

  test('real dates are accepted, leap days included', async () => {
    const r = bootRegistry();
    await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    for (const sunset of ['2028-02-29', '2027-12-31']) {
      const res = await request(r.app)
        .post('/api/v1/templates/account.t/versions/1.0.0/deprecate')
        .set(bearer(r.tokens.publish))
        .send({ message: 'old', sunset });
      expect(res.status).toBe(200);
      expect((res.body as VersionBody).deprecation).toEqual({ message: 'old', sunset });
    }
  });

  test('template deprecate --sunset refuses a date that is not YYYY-MM-DD before asking the registry', async () => {
    const dir = tempDir({}, 'pw-sunset-');
    const reg = await startRegistry({ db: join(dir, 'r.db'), port: 0, log: () => undefined });
    running.push(reg);
    const admin = createToken(reg.db, 'boss', 'admin');
    await request(reg.url)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(admin))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    const cli = (...args: string[]) =>
      runCli(['template', 'deprecate', 'account.t@1.0.0', '--message', 'old', ...args, '--registry', reg.url, '--token', admin], dir);
    for (const bad of ['2026-13-45', '2027-01-01<script>']) {
      const r = await cli('--sunset', bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--sunset .*YYYY-MM-DD/);
    }
    expect(reg.db.prepare("SELECT count(*) n FROM events WHERE action = 'deprecate'").get()).toEqual({ n: 0 });
    expect((await cli('--sunset', '2030-06-30')).code).toBe(0);
  });
});
