/**
 * The catalog's web sign-in: no open redirect after sign-in, a CSRF token on every form, a
 * server-side session (the cookie holds a random secret, never a token; the row is keyed by
 * the secret's sha256, expires, and ends with its token), `Secure` behind https, and a
 * sign-out. A real app on a temporary SQLite file, served on 127.0.0.1, spoken to with
 * node:http so Origin, Sec-Fetch-Site and X-Forwarded-Proto reach it as sent.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { forgetTokens } from '../../registry/auth.js';
import { createApp, createToken, openDatabase, Store, type DB } from '../../registry/index.js';
import { preparePublish } from '../../registry/publish.js';
import { tempDir } from '../helpers.js';
import { stepTemplate } from '../registry/fixtures.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface Booted {
  db: DB;
  base: string;
  read: string;
  publish: string;
  send(method: string, path: string, opts?: { headers?: Record<string, string>; form?: Record<string, string> }): Promise<Reply>;
}

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function boot(opts: { trustProxy?: boolean; anonymousRead?: boolean } = {}): Promise<Booted> {
  const db = openDatabase(join(tempDir({}, 'pw-signin-'), 'r.db'));
  const store = new Store(db);
  const app = createApp({
    store,
    anonymousRead: !!opts.anonymousRead,
    log: () => undefined,
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  const port = (server.address() as AddressInfo).port;
  const send: Booted['send'] = (method, path, o = {}) =>
    new Promise((resolve, reject) => {
      const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
      const headers: Record<string, string> = {
        ...(body !== undefined
          ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) }
          : {}),
        ...o.headers,
      };
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const read = createToken(db, 'reader', 'read');
  const publish = createToken(db, 'ci', 'publish');
  store.publish(await preparePublish(store, 'account.t', '1.0.0', { yaml: stepTemplate('t', '1.0.0') }), 'ci');
  return { db, base: `http://127.0.0.1:${port}`, read, publish, send };
}

/** Cookies set by a reply, name → `name=value`. */
function setCookies(res: Reply): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers['set-cookie'] ?? []) out.set(line.split('=')[0]!, line);
  return out;
}

const pair = (line: string | undefined) => (line ?? '').split(';')[0]!;

/** The sign-in form as a browser gets it: the CSRF cookie and the form's hidden fields. */
async function loginForm(
  b: Booted,
  path = '/login',
): Promise<{ cookie: string; csrf: string; next: string; status: number; html: string }> {
  const res = await b.send('GET', path);
  const cookie = [...setCookies(res).values()].map(pair).join('; ');
  const csrf = /name="csrf" value="([^"]*)"/.exec(res.text)?.[1] ?? '';
  const next = /name="next" value="([^"]*)"/.exec(res.text)?.[1] ?? '';
  return { cookie, csrf, next: next.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'), status: res.status, html: res.text };
}

/** Signs in as a browser would; answers the session cookie pair (`pw_session=…`) and the reply. */
async function signIn(b: Booted, token: string, next = '/', headers: Record<string, string> = {}) {
  const f = await loginForm(b);
  const res = await b.send('POST', '/login', {
    headers: { Cookie: f.cookie, Origin: b.base, ...headers },
    form: { token, next, csrf: f.csrf },
  });
  return { res, session: pair(setCookies(res).get('pw_session')) };
}

describe('no open redirect after sign-in', () => {
  test.each([
    ['/\\evil.example/x'],
    ['//evil.example/x'],
    ['/\t/evil.example/x'],
    ['/\\\\evil.example'],
    ['\\/evil.example'],
    ['https://evil.example/'],
    ['http:evil.example'],
    ['javascript:alert(1)'],
    ['/\n/evil.example'],
    [' //evil.example'],
    ['/.//evil.example/x'],
    ['/a/..//evil.example/x'],
    ['/%2e//evil.example/x'],
  ])('next=%j lands on this origin', async (next) => {
    const b = await boot();
    const { res } = await signIn(b, b.read, next);
    expect(res.status).toBe(303);
    const where = new URL(String(res.headers['location']), b.base);
    expect(where.origin).toBe(b.base);
    const page = await loginForm(b, `/login?next=${encodeURIComponent(next)}`);
    expect(new URL(page.next, b.base).origin).toBe(b.base);
  });

  test('a same-origin next is kept, path, query and all', async () => {
    const b = await boot();
    const { res } = await signIn(b, b.read, '/templates/account.t?version=1.0.0');
    expect(res.headers['location']).toBe('/templates/account.t?version=1.0.0');
    const gate = await b.send('GET', '/templates/account.t?version=1.0.0');
    expect(gate.status).toBe(401);
    expect(gate.text).toMatch(/name="next" value="\/templates\/account\.t\?version&#x3D;1\.0\.0"/);
  });
});

describe('CSRF', () => {
  test('the sign-in form carries a CSRF token bound to a cookie', async () => {
    const b = await boot();
    const f = await loginForm(b);
    expect(f.csrf).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(f.cookie).toMatch(/^pw_csrf=[A-Za-z0-9_-]{32,}$/);
    // The 401 page of a gated page carries one too.
    const gate = await loginForm(b, '/templates/account.t');
    expect(gate.status).toBe(401);
    expect(gate.csrf).toMatch(/^[A-Za-z0-9_-]{32,}$/);
  });

  test.each([
    [
      'no CSRF field',
      (f: { cookie: string; csrf: string }, base: string) => ({ headers: { Cookie: f.cookie, Origin: base }, csrf: undefined }),
    ],
    ['no CSRF cookie', (f: { cookie: string; csrf: string }, base: string) => ({ headers: { Origin: base }, csrf: f.csrf })],
    [
      'a CSRF field that is not the cookie',
      (f: { cookie: string; csrf: string }, base: string) => ({ headers: { Cookie: f.cookie, Origin: base }, csrf: 'A'.repeat(43) }),
    ],
    [
      'a foreign Origin',
      (f: { cookie: string; csrf: string }) => ({ headers: { Cookie: f.cookie, Origin: 'https://evil.example' }, csrf: f.csrf }),
    ],
    ['Origin null', (f: { cookie: string; csrf: string }) => ({ headers: { Cookie: f.cookie, Origin: 'null' }, csrf: f.csrf })],
    [
      'Sec-Fetch-Site cross-site',
      (f: { cookie: string; csrf: string }) => ({ headers: { Cookie: f.cookie, 'Sec-Fetch-Site': 'cross-site' }, csrf: f.csrf }),
    ],
    [
      'Sec-Fetch-Site same-site',
      (f: { cookie: string; csrf: string }) => ({ headers: { Cookie: f.cookie, 'Sec-Fetch-Site': 'same-site' }, csrf: f.csrf }),
    ],
  ])('a sign-in POST with %s is 403 and signs nobody in', async (_name, make) => {
    const b = await boot();
    const f = await loginForm(b);
    const { headers, csrf } = make(f, b.base);
    const res = await b.send('POST', '/login', { headers, form: { token: b.read, next: '/', ...(csrf !== undefined ? { csrf } : {}) } });
    expect(res.status).toBe(403);
    expect(setCookies(res).has('pw_session')).toBe(false);
    expect(b.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });

  test('a same-origin sign-in without Origin (an older browser) but with the CSRF pair works', async () => {
    const b = await boot();
    const f = await loginForm(b);
    const res = await b.send('POST', '/login', { headers: { Cookie: f.cookie }, form: { token: b.read, next: '/', csrf: f.csrf } });
    expect(res.status).toBe(303);
  });

  test('a wrong token with a good CSRF pair is 401 with a fresh form', async () => {
    const b = await boot();
    const f = await loginForm(b);
    const res = await b.send('POST', '/login', {
      headers: { Cookie: f.cookie, Origin: b.base },
      form: { token: 'pw_000000000000_wrongwrongwrongwrong', next: '/', csrf: f.csrf },
    });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/That token is not valid/);
    expect(res.text).toMatch(/name="csrf" value="[A-Za-z0-9_-]{32,}"/);
  });
});

describe('server-side sessions', () => {
  test('the cookie holds a random secret, HttpOnly, SameSite=Lax, Path=/, 12 h; the row is keyed by its sha256', async () => {
    const b = await boot();
    const before = Date.now();
    const { res, session } = await signIn(b, b.read);
    expect(res.status).toBe(303);
    const line = setCookies(res).get('pw_session')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\/(;|$)/);
    expect(line).toMatch(/; Max-Age=43200/);
    expect(line).not.toMatch(/Secure/);
    const secret = session.split('=')[1]!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(line).not.toContain(b.read.slice(16));
    expect(setCookies(res).has('pw_token')).toBe(false);
    const row = b.db.prepare('SELECT id, token_id, csrf, created_at, expires_at FROM sessions').get() as {
      id: string;
      token_id: string;
      csrf: string;
      created_at: string;
      expires_at: string;
    };
    expect(row.id).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(row.token_id).toBe(b.read.split('_')[1]);
    const ttl = Date.parse(row.expires_at) - Date.parse(row.created_at);
    expect(ttl).toBe(12 * 3600 * 1000);
    expect(Date.parse(row.created_at)).toBeGreaterThanOrEqual(before - 1000);
    const page = await b.send('GET', '/templates/account.t', { headers: { Cookie: session } });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/Signed in as <strong>reader<\/strong>/);
    expect(page.text).toMatch(/<form method="post" action="\/logout"[^>]*>\s*<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{32,}">/);
  });

  test('signing in takes the raw-token cookie of earlier versions out of the browser', async () => {
    const b = await boot();
    const f = await loginForm(b);
    const res = await b.send('POST', '/login', {
      headers: { Cookie: `${f.cookie}; pw_token=${b.read}`, Origin: b.base },
      form: { token: b.read, next: '/', csrf: f.csrf },
    });
    expect(res.status).toBe(303);
    expect(setCookies(res).get('pw_token')).toMatch(/^pw_token=; HttpOnly; .*Max-Age=0/);
  });

  test('signing in again replaces the browser session (a new secret, the old row deleted)', async () => {
    const b = await boot();
    const first = await signIn(b, b.read);
    const f = await loginForm(b);
    const again = await b.send('POST', '/login', {
      headers: { Cookie: `${f.cookie}; ${first.session}`, Origin: b.base },
      form: { token: b.read, next: '/', csrf: f.csrf },
    });
    const second = pair(setCookies(again).get('pw_session'));
    expect(second).not.toBe(first.session);
    expect((await b.send('GET', '/', { headers: { Cookie: first.session } })).status).toBe(401);
    expect((await b.send('GET', '/', { headers: { Cookie: second } })).status).toBe(200);
    expect(b.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 1 });
  });

  test('an expired session is signed out', async () => {
    const b = await boot();
    const { session } = await signIn(b, b.read);
    expect((await b.send('GET', '/templates/account.t', { headers: { Cookie: session } })).status).toBe(200);
    b.db.prepare('UPDATE sessions SET expires_at = ?').run(new Date(Date.now() - 1000).toISOString());
    const res = await b.send('GET', '/templates/account.t', { headers: { Cookie: session } });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/action="\/login"/);
  });

  test('revoking the token ends its sessions', async () => {
    const b = await boot();
    const { session } = await signIn(b, b.read);
    expect((await b.send('GET', '/', { headers: { Cookie: session } })).status).toBe(200);
    b.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), b.read.split('_')[1]);
    forgetTokens(b.db);
    expect((await b.send('GET', '/', { headers: { Cookie: session } })).status).toBe(401);
  });

  test('a cookie holding a raw token, a made-up secret or a malformed value signs nobody in (and is no 500)', async () => {
    const b = await boot();
    for (const cookie of [
      `pw_token=${b.read}`,
      `pw_session=${b.read}`,
      `pw_session=${'A'.repeat(43)}`,
      'pw_session=%E0%A4%A',
      'pw_session',
      '=; ;;pw_session="x"',
      `pw_csrf=%; pw_session=%ZZ`,
    ]) {
      const res = await b.send('GET', '/', { headers: { Cookie: cookie } });
      expect(res.status, cookie).toBe(401);
    }
  });

  test('Secure when the request came over https through a trusted proxy, not when the proxy is not trusted', async () => {
    const trusted = await boot({ trustProxy: true });
    const s = await signIn(trusted, trusted.read, '/', { 'X-Forwarded-Proto': 'https', Origin: trusted.base.replace('http:', 'https:') });
    expect(s.res.status).toBe(303);
    expect(setCookies(s.res).get('pw_session')).toMatch(/; Secure/);
    const f = await trusted.send('GET', '/login', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(setCookies(f).get('pw_csrf')).toMatch(/; Secure/);
    const plain = await boot();
    const p = await signIn(plain, plain.read, '/', { 'X-Forwarded-Proto': 'https' });
    expect(p.res.status).toBe(303);
    expect(setCookies(p.res).get('pw_session')).not.toMatch(/Secure/);
  });

  test('a publish token signs in for reading pages only: the session cookie is not a credential for the API', async () => {
    const b = await boot();
    const { session } = await signIn(b, b.publish);
    expect((await b.send('GET', '/', { headers: { Cookie: session } })).status).toBe(200);
    expect((await b.send('GET', '/api/v1/templates', { headers: { Cookie: session } })).status).toBe(401);
    expect(
      (await b.send('POST', '/api/v1/templates/account.t/versions/1.0.0/yank', { headers: { Cookie: session, Origin: b.base } })).status,
    ).toBe(401);
  });
});

describe('sign-out', () => {
  test('POST /logout with the session CSRF token deletes the row and clears the cookie', async () => {
    const b = await boot();
    const { session } = await signIn(b, b.read);
    const page = await b.send('GET', '/', { headers: { Cookie: session } });
    const csrf = /action="\/logout"[\s\S]*?name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    expect(csrf).toBeDefined();
    const out = await b.send('POST', '/logout', { headers: { Cookie: session, Origin: b.base }, form: { csrf: csrf! } });
    expect(out.status).toBe(303);
    expect(out.headers['location']).toBe('/login');
    expect(setCookies(out).get('pw_session')).toMatch(/^pw_session=; .*Max-Age=0/);
    expect(b.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    expect((await b.send('GET', '/', { headers: { Cookie: session } })).status).toBe(401);
  });

  test.each([
    ['without the CSRF token', (base: string) => ({ headers: { Origin: base }, form: {} })],
    ['with a wrong CSRF token', (base: string) => ({ headers: { Origin: base }, form: { csrf: 'B'.repeat(43) } })],
    ['from another origin', () => ({ headers: { Origin: 'https://evil.example' }, form: { csrf: 'ok' } })],
  ])('a sign-out %s is 403 and the session lives on', async (_name, make) => {
    const b = await boot();
    const { session } = await signIn(b, b.read);
    const page = await b.send('GET', '/', { headers: { Cookie: session } });
    const good = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const m = make(b.base);
    const form: Record<string, string> = { ...m.form };
    if (form['csrf'] === 'ok') form['csrf'] = good;
    const out = await b.send('POST', '/logout', { headers: { ...m.headers, Cookie: session }, form });
    expect(out.status).toBe(403);
    expect((await b.send('GET', '/', { headers: { Cookie: session } })).status).toBe(200);
  });

  test('signed out, the layout has no sign-out button; with anonymous reads it offers sign-in', async () => {
    const b = await boot({ anonymousRead: true });
    const page = await b.send('GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/action="\/logout"/);
    expect(page.text).toMatch(/href="\/login"/);
  });
});
