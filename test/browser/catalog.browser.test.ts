/**
 * The catalog in a real browser: Debian's Chromium driven by playwright-core. Skipped only
 * when no Chromium exists outside CI; under CI=true it must run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createToken, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { REPO, tempDir } from '../helpers.js';
import { stepTemplate } from '../registry/fixtures.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM && process.env['CI'] === 'true') throw new Error('CI=true but no Chromium: .ci/run must install Debian chromium');
const SHOTS = join(REPO, 'test-output', 'screenshots');

describe.skipIf(!CHROMIUM)('catalog in Chromium', () => {
  let registry: RunningRegistry;
  let browser: Browser;

  beforeAll(async () => {
    registry = await startRegistry({ db: join(tempDir({}, 'pw-browser-'), 'r.db'), port: 0, anonymousRead: true, log: () => undefined });
    const token = createToken(registry.db, 'ci', 'publish');
    const put = async (ref: string, v: string, yaml: string) => {
      const res = await fetch(`${registry.url}/api/v1/templates/${ref}/versions/${v}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ yaml }),
      });
      expect(res.status).toBe(201);
    };
    const redis = (v: string, port: number, extra = '') =>
      `template:\n  name: Redis service\n  identifier: redis\n  versionLabel: ${v}\n  type: Step\n  description: A cache for integration tests\n  inputs:\n    port: {type: number, default: ${port}, description: Port to listen on}\n${extra}  spec:\n    type: Background\n    spec:\n      command: redis-server --port {{inputs.port}}\n      readiness: {tcp: {port: "{{inputs.port}}"}}\n`;
    await put('account.redis', '1.0.0', redis('1.0.0', 6379));
    await put(
      'account.redis',
      '1.1.0',
      redis('1.1.0', 6380, '    mode: {type: string, allowedValues: [fast, safe], description: How to run}\n'),
    );
    await put('account.lint', '2.0.0', stepTemplate('lint', '2.0.0', { description: 'Lints the code' }));
    await put(
      'account.evil',
      '1.0.0',
      stepTemplate('evil', '1.0.0', {
        description: '<script>window.pwned = 1</script> {{inputs.x}}',
        command: 'echo "<img src=x onerror=window.pwned=2>"',
      }),
    );
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await registry?.close();
  });

  test('search as you type and filter by type', async () => {
    const page = await browser.newPage();
    await page.goto(registry.url + '/');
    await page.locator('#count').waitFor();
    expect(await page.locator('#count').textContent()).toBe('3 templates');
    await page.fill('#q', 'cache');
    await page.waitForFunction(() => document.getElementById('count')?.textContent === '1 template');
    expect(await page.locator('#results h2').allTextContents()).toEqual(['Redis service']);
    await page.fill('#q', '');
    await page.selectOption('#type', 'StepGroup');
    await page.waitForFunction(() => document.getElementById('count')?.textContent === '0 templates');
    await page.selectOption('#type', '');
    await page.waitForFunction(() => document.getElementById('count')?.textContent === '3 templates');
    await page.screenshot({ path: join(SHOTS, 'catalog.png'), fullPage: true });
    await page.close();
  }, 30_000);

  test('open a template, read inputs and versions, copy the snippet, open a diff', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: registry.url });
    const page = await context.newPage();
    await page.goto(registry.url + '/');
    await page.click('text=Redis service');
    await page.waitForURL(/\/templates\/account\.redis$/);
    const inputs = await page
      .locator('table.inputs tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())));
    expect(inputs).toEqual([
      ['mode', 'string', '–', 'fast, safe', '', 'yes', 'How to run'],
      ['port', 'number', '6380', '', '', 'no', 'Port to listen on'],
    ]);
    expect(await page.locator('table.versions tbody tr td:first-child').allTextContents()).toEqual(['1.1.0', '1.0.0']);
    await page.click('button.copy');
    await page.waitForFunction(() => document.getElementById('copied')?.textContent === 'Copied');
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    expect(clip).toBe(
      '- step:\n    name: redis\n    identifier: redis\n    template:\n      templateRef: account.redis\n      versionLabel: ^1.1\n      inputs:\n        mode: fast\n',
    );
    await page.screenshot({ path: join(SHOTS, 'template.png'), fullPage: true });
    await page.selectOption('#from', '1.0.0');
    await page.selectOption('#to', '1.1.0');
    await page.click('form.diff-form button');
    await page.waitForURL(/\/diff\?from=1\.0\.0&to=1\.1\.0/);
    expect(await page.locator('.input-changes').textContent()).toMatch(/Added: mode/);
    expect(await page.locator('.patch .add').allTextContents()).toContain('+    mode:');
    await page.screenshot({ path: join(SHOTS, 'diff.png'), fullPage: true });
    await context.close();
  }, 30_000);

  test('template content with <script> and {{ }} renders as text', async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(registry.url + '/templates/account.evil');
    expect(await page.locator('p.description').textContent()).toBe('<script>window.pwned = 1</script> {{inputs.x}}');
    expect(await page.locator('pre.spec').textContent()).toContain('<img src=x onerror=window.pwned=2>');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'xss.png'), fullPage: true });
    await page.close();
  }, 30_000);

  test('readable on a phone-width screen', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    await page.goto(registry.url + '/templates/account.redis');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'template-phone.png'), fullPage: true });
    await page.close();
  }, 30_000);
});

describe.skipIf(!CHROMIUM)('signing in to a private catalog in Chromium', () => {
  let registry: RunningRegistry;
  let browser: Browser;
  let reader: string;
  let attacker: Server;
  let attackerUrl: string;

  beforeAll(async () => {
    registry = await startRegistry({ db: join(tempDir({}, 'pw-browser-private-'), 'r.db'), port: 0, log: () => undefined });
    reader = createToken(registry.db, 'reader', 'read');
    const publisher = createToken(registry.db, 'ci', 'publish');
    const res = await fetch(`${registry.url}/api/v1/templates/account.lint/versions/2.0.0`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${publisher}` },
      body: JSON.stringify({ yaml: stepTemplate('lint', '2.0.0', { description: 'Lints the code' }) }),
    });
    expect(res.status).toBe(201);
    // Another origin (same host, another port: same-site, so SameSite cookies alone would
    // not stop it) whose page posts a sign-in form to the registry with its own token.
    attacker = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(
        `<form id="f" method="post" action="${registry.url}/login"><input name="token" value="${reader}"><input name="next" value="/"><input name="csrf" value="${'A'.repeat(43)}"></form><button id="go" onclick="document.getElementById('f').submit()">go</button>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', () => resolve()));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
    await registry?.close();
  });

  test('sign in from a gated page, land back on it, sign out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(registry.url + '/templates/account.lint');
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await page.fill('#token', reader);
    await page.click('form[action="/login"] button');
    await page.waitForURL(/\/templates\/account\.lint$/);
    expect(await page.locator('h1').textContent()).toBe('lint');
    expect(await page.locator('header .account strong').textContent()).toBe('reader');
    const cookies = await context.cookies(registry.url);
    const session = cookies.find((c) => c.name === 'pw_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session!.value).not.toContain(reader.slice(16));
    await page.screenshot({ path: join(SHOTS, 'signed-in.png'), fullPage: true });
    await page.click('form.signout button');
    await page.waitForURL(/\/login$/);
    expect((await context.cookies(registry.url)).find((c) => c.name === 'pw_session')).toBeUndefined();
    await page.goto(registry.url + '/');
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await context.close();
  }, 30_000);

  test('a form on another origin cannot sign the browser in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(registry.url + '/login');
    await page.goto(attackerUrl);
    const answer = page.waitForResponse((r) => r.url() === `${registry.url}/login` && r.request().method() === 'POST');
    await page.click('#go');
    expect((await answer).status()).toBe(403);
    // Refused for where it came from, before its (guessed) CSRF token is even looked at.
    await page.waitForURL(`${registry.url}/login`);
    expect(await page.locator('main p').first().textContent()).toMatch(/another site \(same-site\)|another origin/);
    expect((await context.cookies(registry.url)).find((c) => c.name === 'pw_session')).toBeUndefined();
    await context.close();
  }, 30_000);
});
