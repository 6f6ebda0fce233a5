/**
 * Token lifecycle: revocation and expiry honoured by every running server within 1 s, the
 * last-used time, `registry token list|revoke` and the admin API.
 */
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { principalOfTokenId } from '../../registry/auth.js';
import { createToken, openDatabase, startRegistry, verifyToken, type RunningRegistry } from '../../registry/index.js';
import { runCli, tempDir } from '../helpers.js';
import { bearer, bootRegistry } from '../registry/fixtures.js';
import { cliProcess, killChildren, serveProcess } from '../registry/serve.js';
import type { EventsBody, TokensBody } from '../support/api-json.js';
import { anyString } from '../support/matchers.js';

const open: { close(): unknown }[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function twoConnections() {
  const file = join(tempDir({}, 'pw-tok-'), 'r.db');
  const a = openDatabase(file);
  const b = openDatabase(file);
  open.push(a, b);
  return { file, a, b };
}

const idOf = (token: string) => token.split('_')[1]!;
/** The secret part of `pw_<id>_<secret>` (the secret itself may hold `_`, even first). */
const secretOf = (token: string) => token.slice('pw_'.length + 12 + 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('principal of a token id (sessions contract)', () => {
  test('a live token id gives its principal with the id; unknown, revoked and expired ids give undefined', async () => {
    const { a, b } = twoConnections();
    const t = createToken(a, 'ci', 'publish');
    expect(verifyToken(b, t)).toEqual({ id: idOf(t), name: 'ci', scope: 'publish' });
    expect(principalOfTokenId(b, idOf(t))).toEqual({ id: idOf(t), name: 'ci', scope: 'publish' });
    expect(principalOfTokenId(b, '000000000000')).toBeUndefined();
    expect(principalOfTokenId(b, 'not an id')).toBeUndefined();

    a.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), idOf(t));
    await sleep(1000);
    expect(principalOfTokenId(b, idOf(t))).toBeUndefined();
    expect(verifyToken(b, t)).toBeUndefined();

    const past = createToken(a, 'old', 'read', new Date(Date.now() - 3_600_000), new Date(Date.now() - 1000));
    expect(principalOfTokenId(b, idOf(past))).toBeUndefined();
    expect(verifyToken(b, past)).toBeUndefined();
  });

  test('sessions table cascades when its token is deleted', () => {
    const { a } = twoConnections();
    const t = createToken(a, 'web', 'read');
    const now = new Date().toISOString();
    a.prepare('INSERT INTO sessions (id, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
      'ab'.repeat(32),
      idOf(t),
      'c',
      now,
      now,
    );
    a.prepare('DELETE FROM tokens WHERE id = ?').run(idOf(t));
    expect(a.prepare('SELECT count(*) n FROM sessions').get()).toEqual({ n: 0 });
  });
});

const running: RunningRegistry[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  killChildren();
});

async function status(url: string, token: string, path = '/api/v1/templates'): Promise<{ status: number; message?: string }> {
  const res = await fetch(url + path, { headers: { Authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { error?: { message: string } };
  return { status: res.status, ...(body.error ? { message: body.error.message } : {}) };
}

describe('revocation and expiry on running servers', () => {
  test('a token revoked with `registry token revoke` in another process is refused by two running servers within 1 s', async () => {
    const dir = tempDir({}, 'pw-revoke-');
    const dbFile = join(dir, 'r.db');
    const setup = openDatabase(dbFile);
    const victim = createToken(setup, 'laptop', 'read');
    const other = createToken(setup, 'ci', 'read');
    setup.close();
    const [a, b] = await Promise.all([startRegistry({ db: dbFile, port: 0, log: () => undefined }), serveProcess(dbFile)]);
    running.push(a);
    for (const url of [a.url, b.url]) expect((await status(url, victim)).status).toBe(200);

    const revoked = await cliProcess(['registry', 'token', 'revoke', '--db', dbFile, idOf(victim)]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${idOf(victim)} (laptop, read)`);
    await sleep(1000);
    for (const url of [a.url, b.url]) {
      expect(await status(url, victim)).toEqual({ status: 401, message: 'the bearer token was revoked' });
      expect((await status(url, other)).status).toBe(200);
    }
  }, 60_000);

  test('a token row deleted from the database stops working on a running server within 1 s', async () => {
    const dbFile = join(tempDir({}, 'pw-del-'), 'r.db');
    const reg = await startRegistry({ db: dbFile, port: 0, log: () => undefined });
    running.push(reg);
    const t = createToken(reg.db, 'gone', 'read');
    expect((await status(reg.url, t)).status).toBe(200);
    const other = openDatabase(dbFile);
    open.push(other);
    other.prepare('DELETE FROM tokens WHERE id = ?').run(idOf(t));
    await sleep(1000);
    expect((await status(reg.url, t)).status).toBe(401);
  });

  test('an expired token is refused with a message saying so', async () => {
    const dbFile = join(tempDir({}, 'pw-exp-'), 'r.db');
    const reg = await startRegistry({ db: dbFile, port: 0, log: () => undefined });
    running.push(reg);
    const t = createToken(reg.db, 'short', 'read', new Date(), new Date(Date.now() + 1500));
    expect((await status(reg.url, t)).status).toBe(200);
    await sleep(1700);
    expect(await status(reg.url, t)).toEqual({ status: 401, message: 'the bearer token has expired' });
  });

  test('last use is recorded once per minute per token, not per request, and never waits for a busy database', async () => {
    const dbFile = join(tempDir({}, 'pw-used-'), 'r.db');
    const reg = await startRegistry({ db: dbFile, port: 0, log: () => undefined });
    running.push(reg);
    const t = createToken(reg.db, 'ci', 'read');
    const lastUsed = () =>
      (reg.db.prepare('SELECT last_used_at FROM tokens WHERE id = ?').get(idOf(t)) as { last_used_at: string | null }).last_used_at;
    expect(lastUsed()).toBeNull();
    expect((await status(reg.url, t)).status).toBe(200);
    const first = lastUsed();
    expect(first).not.toBeNull();
    await sleep(20);
    for (let i = 0; i < 5; i++) expect((await status(reg.url, t)).status).toBe(200);
    expect(lastUsed()).toBe(first);

    // A new token's first use while another connection holds the write lock: answered at once.
    const fresh = createToken(reg.db, 'new', 'read');
    const locker = openDatabase(dbFile);
    open.push(locker);
    locker.exec('BEGIN IMMEDIATE');
    try {
      const t0 = Date.now();
      expect((await status(reg.url, fresh)).status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(2000); // the busy timeout is 5000 ms
    } finally {
      locker.exec('ROLLBACK');
    }
  });
});

describe('registry token create|list|revoke', () => {
  test('create --expires, list (text and --json) never shows a secret or hash, revoke is idempotent, bad input exits 2', async () => {
    const dir = tempDir({}, 'pw-tokcli-');
    expect((await runCli(['registry', 'init', '--db', 'r.db'], dir)).code).toBe(0);
    const created = await runCli(
      ['registry', 'token', 'create', '--db', 'r.db', '--scope', 'publish', '--name', 'ci', '--expires', '90d'],
      dir,
    );
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^pw_[0-9a-f]{12}_/);
    expect((await runCli(['registry', 'token', 'create', '--db', 'r.db', '--scope', 'read', '--name', 'forever'], dir)).code).toBe(0);

    const listed = await runCli(['registry', 'token', 'list', '--db', 'r.db', '--json'], dir);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    const ci = rows.find((r) => r['name'] === 'ci')!;
    expect(ci).toMatchObject({ id: idOf(token), scope: 'publish', status: 'active' });
    expect(Object.keys(ci).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'name', 'scope', 'status']);
    const days = (Date.parse(String(ci['expiresAt'])) - Date.parse(String(ci['createdAt']))) / 86_400_000;
    expect(days).toBeCloseTo(90, 3);
    expect(rows.find((r) => r['name'] === 'forever')).not.toHaveProperty('expiresAt');
    expect(listed.stdout).not.toContain(secretOf(token));
    expect(listed.stdout).not.toMatch(/hash|[0-9a-f]{64}/);

    const revoked = await runCli(['registry', 'token', 'revoke', '--db', 'r.db', idOf(token)], dir);
    expect(revoked.code).toBe(0);
    const again = await runCli(['registry', 'token', 'revoke', '--db', 'r.db', idOf(token)], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already revoked/);
    const text = await runCli(['registry', 'token', 'list', '--db', 'r.db'], dir);
    expect(text.stdout).toMatch(new RegExp(`^${idOf(token)}\\s+ci\\s+publish\\s+\\S+\\s+\\S+\\s+never\\s+revoked `, 'm'));
    expect(text.stdout).toMatch(/^ID\s+NAME\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS/m);

    for (const bad of ['90', '0d', '-1d', '3y', '1.5h', '99999d', '']) {
      const r = await runCli(['registry', 'token', 'create', '--db', 'r.db', '--scope', 'read', '--name', 'x', '--expires', bad], dir);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--expires/);
    }
    const unknown = await runCli(['registry', 'token', 'revoke', '--db', 'r.db', 'ffffffffffff'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no token ffffffffffff/);
    const db = openDatabase(join(dir, 'r.db'));
    open.push(db);
    expect(
      (db.prepare("SELECT action FROM events WHERE action LIKE 'token-%' ORDER BY id").all() as { action: string }[]).map((e) => e.action),
    ).toEqual(['token-create', 'token-create', 'token-revoke']);
  });
});

describe('admin token API', () => {
  test('GET /api/v1/tokens and POST /api/v1/tokens/{id}/revoke need admin; a revoked token is refused at once', async () => {
    const r = bootRegistry();
    const list = await request(r.app).get('/api/v1/tokens').set(bearer(r.tokens.admin)).expect(200);
    expect((list.body as TokensBody).tokens.map((t) => t.name).sort()).toEqual(['boss', 'ci', 'reader']);
    expect(JSON.stringify(list.body)).not.toMatch(/hash|[0-9a-f]{64}/);
    expect((await request(r.app).get('/api/v1/tokens').set(bearer(r.tokens.publish))).status).toBe(403);
    expect(
      (
        await request(r.app)
          .post(`/api/v1/tokens/${idOf(r.tokens.read)}/revoke`)
          .set(bearer(r.tokens.publish))
      ).status,
    ).toBe(403);

    await request(r.app).get('/api/v1/templates').set(bearer(r.tokens.read)).expect(200);
    const revoked = await request(r.app)
      .post(`/api/v1/tokens/${idOf(r.tokens.read)}/revoke`)
      .set(bearer(r.tokens.admin))
      .expect(200);
    expect(revoked.body).toMatchObject({ id: idOf(r.tokens.read), name: 'reader', status: 'revoked', revokedAt: anyString() });
    expect((await request(r.app).get('/api/v1/templates').set(bearer(r.tokens.read))).status).toBe(401);
    expect((await request(r.app).post('/api/v1/tokens/ffffffffffff/revoke').set(bearer(r.tokens.admin))).status).toBe(404);
    expect((await request(r.app).post('/api/v1/tokens/nope/revoke').set(bearer(r.tokens.admin))).status).toBe(400);
    const events = await request(r.app).get('/api/v1/events').set(bearer(r.tokens.admin));
    expect((events.body as EventsBody).events.at(-1)).toMatchObject({
      actor: 'boss',
      action: 'token-revoke',
      detail: { id: idOf(r.tokens.read), name: 'reader' },
    });
  });
});
