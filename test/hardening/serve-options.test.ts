/**
 * `registry serve --trust-proxy`: behind a proxy that terminates TLS, cookies are `Secure`
 * (and only when the proxy is trusted). A busy database met outside the routes that retry
 * is a 503 with Retry-After, never a 500.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { toApiError } from '../../registry/errors.js';
import { trustProxyOf } from '../../cli/registry-commands.js';
import { REPO, tempDir } from '../helpers.js';

const BIN = join(REPO, 'dist', 'cli', 'bin.js');
const running: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
});

async function serve(extra: string[]): Promise<string> {
  const dir = tempDir({}, 'pw-serve-');
  const child = spawn(process.execPath, [BIN, 'registry', 'serve', '--db', join(dir, 'r.db'), '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}

function cookiesOf(url: string, path: string, headers: Record<string, string>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers: { Connection: 'close', ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers['set-cookie'] ?? []));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('registry serve --trust-proxy', () => {
  test('with it, a request forwarded as https gets Secure cookies; without it, not', async () => {
    const trusted = await serve(['--trust-proxy']);
    const forwarded = { 'X-Forwarded-Proto': 'https' };
    expect((await cookiesOf(trusted, '/login', forwarded)).join('\n')).toMatch(/pw_csrf=[^\n]*; Secure/);
    const plain = await serve([]);
    const cookies = await cookiesOf(plain, '/login', forwarded);
    expect(cookies.join('\n')).toMatch(/pw_csrf=/);
    expect(cookies.join('\n')).not.toMatch(/Secure/);
  }, 20_000);

  test('its value: bare is any proxy, digits a hop count, else addresses', () => {
    expect(trustProxyOf(true)).toBe(true);
    expect(trustProxyOf('2')).toBe(2);
    expect(trustProxyOf('10.0.0.0/8, loopback')).toBe('10.0.0.0/8, loopback');
  });
});

describe('a busy database outside the retrying routes', () => {
  test('SQLITE_BUSY and SQLITE_LOCKED are 503 with Retry-After, not 500', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED']) {
      const e = Object.assign(new Error('database is locked'), { code });
      const api = toApiError(e);
      expect(api.status).toBe(503);
      expect(api.headers).toMatchObject({ 'Retry-After': '1' });
    }
  });
});
