import request from 'supertest';
import { describe, expect, test } from 'vitest';
import { bearer, bootRegistry, stepTemplate } from './fixtures.js';

async function withTemplates(anonymousRead = true) {
  const r = bootRegistry({ anonymousRead });
  const put = (ref: string, v: string, yaml: string) =>
    request(r.app)
      .put(`/api/v1/templates/${ref}/versions/${v}`)
      .set(bearer(r.tokens.publish))
      .send({ yaml })
      .expect((res) => expect(res.status).toBe(201));
  await put(
    'account.redis',
    '1.0.0',
    `template:\n  name: Redis service\n  identifier: redis\n  versionLabel: 1.0.0\n  type: Step\n  description: A cache for tests\n  inputs:\n    port: {type: number, default: 6379, description: Port to listen on}\n  spec:\n    type: Background\n    spec:\n      command: redis-server --port {{inputs.port}}\n      readiness: {tcp: {port: "{{inputs.port}}"}}\n`,
  );
  await put(
    'account.redis',
    '1.1.0',
    `template:\n  name: Redis service\n  identifier: redis\n  versionLabel: 1.1.0\n  type: Step\n  description: A cache for tests\n  inputs:\n    port: {type: number, default: 6380, description: Port to listen on}\n    mode: {type: string, allowedValues: [fast, safe]}\n  spec:\n    type: Background\n    spec:\n      command: redis-server --port {{inputs.port}} --mode {{inputs.mode}}\n      readiness: {tcp: {port: "{{inputs.port}}"}}\n`,
  );
  await put(
    'account.evil',
    '1.0.0',
    stepTemplate('evil', '1.0.0', {
      description: '<script>alert(1)</script> {{inputs.x}}',
      command: 'echo "<img src=x onerror=alert(2)>"',
    }),
  );
  await request(r.app)
    .post('/api/v1/templates/account.evil/versions/1.0.0/deprecate')
    .set(bearer(r.tokens.publish))
    .send({ message: 'use account.good', sunset: '2030-01-01' })
    .expect(200);
  return r;
}

describe('catalog pages', () => {
  test('catalog lists templates with type, stable version, description and badges; search and filter work without JavaScript', async () => {
    const r = await withTemplates();
    const res = await request(r.app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.text).toMatch(/<a href="\/templates\/account\.redis">Redis service<\/a>/);
    expect(res.text).toMatch(/account\.redis<\/code> · Step · stable <strong>1\.1\.0<\/strong>/);
    expect(res.text).toMatch(/badge background">background service/);
    expect(res.text).toMatch(/badge readiness">readiness declared/);
    expect(res.text).toMatch(/badge deprecated">deprecated/);
    expect(res.text).not.toMatch(/<script>(?!<\/script>)[^<]*alert/);
    const search = await request(r.app).get('/?q=cache');
    expect(search.text).toMatch(/1 template</);
    expect(search.text).not.toMatch(/account\.evil/);
    expect((await request(r.app).get('/?type=StepGroup')).text).toMatch(/0 templates/);
    expect((await request(r.app).get('/?label=stable')).text).toMatch(/2 templates/);
  });

  test('a large catalog is paged, 100 templates a page, and filters survive paging', async () => {
    const r = bootRegistry({ anonymousRead: true });
    for (let i = 0; i < 130; i++)
      await request(r.app)
        .put(`/api/v1/templates/account.t${i}/versions/1.0.0`)
        .set(bearer(r.tokens.publish))
        .send({ yaml: stepTemplate(`t${i}`, '1.0.0') })
        .expect(201);
    const first = await request(r.app).get('/?q=template');
    expect(first.text).toMatch(/130 templates/);
    expect(first.text.match(/<li class="template">/g)).toHaveLength(100);
    // Handlebars escapes = as &#x3D; in attributes; browsers read it back as =.
    expect(first.text).toMatch(/page 1 of 2 <a href="\/\?q&#x3D;template&amp;page&#x3D;2" rel="next">Next<\/a>/);
    const second = await request(r.app).get('/?q=template&page=2');
    expect(second.text.match(/<li class="template">/g)).toHaveLength(30);
    expect(second.text).toMatch(/rel="prev">Previous<\/a> page 2 of 2/);
  });

  test('template page: labels, versions, inputs, spec, snippet and a diff form', async () => {
    const r = await withTemplates();
    const res = await request(r.app).get('/templates/account.redis');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<h1>Redis service<\/h1>/);
    expect(res.text).toMatch(/<span class="badge">stable<\/span> → 1\.1\.0/);
    expect(res.text).toMatch(/<td><code>mode<\/code><\/td><td>string<\/td><td>–<\/td><td>fast, safe<\/td><td><\/td><td>yes<\/td>/);
    expect(res.text).toMatch(/<td><code>port<\/code><\/td><td>number<\/td><td><code>6380<\/code><\/td>/);
    expect(res.text).toContain(
      '- step:\n    name: redis\n    identifier: redis\n    template:\n      templateRef: account.redis\n      versionLabel: ^1.1\n      inputs:\n        mode: fast',
    );
    expect(res.text).toMatch(/redis-server --port \{\{inputs\.port\}\} --mode \{\{inputs\.mode\}\}/);
    expect(res.text).toMatch(/action="\/templates\/account\.redis\/diff"/);
    const old = await request(r.app).get('/templates/account.redis?version=1.0.0');
    expect(old.text).toMatch(/<tr class="selected">\s*<td><a href="\/templates\/account\.redis\?version=1\.0\.0">1\.0\.0/);
    expect((await request(r.app).get('/templates/account.nope')).status).toBe(404);
  });

  test('diff page: unified diff and input changes', async () => {
    const r = await withTemplates();
    const res = await request(r.app).get('/templates/account.redis/diff?from=1.0.0&to=1.1.0');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<span class="add">\+\s+mode:<\/span>/);
    expect(res.text).toMatch(/Added: <code>mode<\/code>/);
    expect(res.text).toMatch(/Default changed: <code>port<\/code> 6379 → 6380/);
    expect(res.text).toMatch(/Now required: <code>mode<\/code>/);
  });

  test('template content is always escaped text', async () => {
    const r = await withTemplates();
    const page = await request(r.app).get('/templates/account.evil');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; {{inputs.x}}');
    expect(page.text).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toMatch(/deprecated<\/span> use account\.good \(sunset 2030-01-01\)/);
  });

  test('without anonymous reads: a sign-in page, then a server-side session in an HttpOnly cookie', async () => {
    const r = await withTemplates(false);
    const anon = await request(r.app).get('/templates/account.redis');
    expect(anon.status).toBe(401);
    expect(anon.text).toMatch(/<form method="post" action="\/login">/);
    const form = await request(r.app).get('/login');
    const csrfCookie = String(form.headers['set-cookie']).split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const post = (token: string, next: string) =>
      request(r.app).post('/login').set('Cookie', csrfCookie).type('form').send({ token, next, csrf });
    expect((await post('pw_000000000000_wrongwrongwrongwrong', '/')).status).toBe(401);
    const login = await post(r.tokens.read, '/templates/account.redis');
    expect(login.status).toBe(303);
    expect(login.headers['location']).toBe('/templates/account.redis');
    const set = String(login.headers['set-cookie']);
    expect(set).toMatch(/^pw_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=43200$/);
    expect(set).not.toContain(r.tokens.read);
    const withCookie = await request(r.app).get('/templates/account.redis').set('Cookie', set.split(';')[0]!);
    expect(withCookie.status).toBe(200);
    expect(withCookie.text).toMatch(/Signed in as <strong>reader<\/strong>/);
    expect((await post(r.tokens.read, '//evil.example/')).headers['location']).toBe('/');
    expect((await request(r.app).post('/login').type('form').send({ token: r.tokens.read, next: '/' })).status).toBe(403);
  });

  test('static assets are served; the script has no inline part in pages', async () => {
    const r = await withTemplates();
    expect((await request(r.app).get('/static/catalog.css')).headers['content-type']).toMatch(/text\/css/);
    expect((await request(r.app).get('/static/catalog.js')).text).toMatch(/navigator\.clipboard\.writeText/);
    expect((await request(r.app).get('/static/nope.js')).status).toBe(404);
    const html = (await request(r.app).get('/')).text;
    expect(html.match(/<script[^>]*>[^<]+<\/script>/g)).toBeNull();
  });
});
