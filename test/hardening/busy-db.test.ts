/**
 * A write lock held by another process: reads keep answering at once, writes answer 503 with
 * `Retry-After` after a short wait (not a frozen server and a 500 after the 5 s busy
 * timeout), and the HTTP client waits as long as `Retry-After` says before retrying.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createToken, RegistryClient, RegistryError, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { REPO, tempDir } from '../helpers.js';
import { stepTemplate } from '../registry/fixtures.js';

const running: RunningRegistry[] = [];
const lockers: ChildProcess[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of lockers.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of running.splice(0)) await r.close();
  for (const s of servers.splice(0)) s.close();
});

const BETTER_SQLITE3 = createRequire(join(REPO, 'package.json')).resolve('better-sqlite3');

/** Another process holding SQLite's write lock (`BEGIN IMMEDIATE`) on `file` for `ms`. */
function holdWriteLock(file: string, ms: number): Promise<void> {
  const script = `const D = require(${JSON.stringify(BETTER_SQLITE3)}); const db = new D(${JSON.stringify(file)}); db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n'); setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  lockers.push(child);
  return new Promise((resolve, reject) => {
    child.stdout.on('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`locker exited ${code}`)));
  });
}

async function setup() {
  const dbFile = join(tempDir({}, 'pw-busy-'), 'r.db');
  const reg = await startRegistry({ db: dbFile, port: 0, log: () => undefined });
  running.push(reg);
  const admin = createToken(reg.db, 'boss', 'admin');
  const call = async (method: string, path: string, body?: unknown) => {
    const t0 = Date.now();
    const res = await fetch(reg.url + path, {
      method,
      headers: { Authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      ms: Date.now() - t0,
      retryAfter: res.headers.get('retry-after'),
      body: text ? (JSON.parse(text) as { error?: { code: string } }) : {},
    };
  };
  expect((await call('PUT', '/api/v1/templates/account.t/versions/1.0.0', { yaml: stepTemplate('t', '1.0.0') })).status).toBe(201);
  expect((await call('PUT', '/api/v1/templates/account.t/labels/pinned', { version: '1.0.0' })).status).toBe(200);
  return { dbFile, reg, admin, call };
}

describe('a busy database', () => {
  test('reads answer at once while a write waits for a lock another process holds; the write answers 503 with Retry-After', async () => {
    const { dbFile, call } = await setup();
    await holdWriteLock(dbFile, 4000);
    // The server runs in this process: a frozen event loop would delay these timers and
    // requests too, so time is measured from the write's start.
    const start = Date.now();
    const write = call('PUT', '/api/v1/templates/account.t/versions/2.0.0', { yaml: stepTemplate('t', '2.0.0') });
    await new Promise((r) => setTimeout(r, 300)); // the write has reached the database by now
    const reads = await Promise.all([
      call('GET', '/api/v1/templates/account.t/versions/1.0.0'),
      call('POST', '/api/v1/resolve', { requests: [{ ref: 'account.t', selector: '^1' }] }),
      call('GET', '/api/v1/templates'),
      call('GET', '/healthz'),
    ]);
    const readsDone = Date.now() - start;
    for (const r of reads) expect(r.status).toBe(200);
    expect(readsDone).toBeLessThan(1500); // the lock is held for 4000 ms
    const w = await write;
    expect(w.status).toBe(503);
    expect(w.body.error?.code).toBe('unavailable');
    expect(w.retryAfter).toBe('1');
    expect(w.ms).toBeLessThan(3000);
  }, 20_000);

  test.each([
    ['label', 'PUT', '/api/v1/templates/account.t/labels/canary', { version: '1.0.0' }],
    ['deprecate', 'POST', '/api/v1/templates/account.t/versions/1.0.0/deprecate', { message: 'old' }],
    ['yank', 'POST', '/api/v1/templates/account.t/versions/1.0.0/yank', undefined],
    ['unlabel', 'DELETE', '/api/v1/templates/account.t/labels/pinned', undefined],
  ])(
    '%s while another process holds the write lock → 503 unavailable with Retry-After',
    async (_name, method, path, body) => {
      const { dbFile, call } = await setup();
      await holdWriteLock(dbFile, 3000);
      const r = await call(method, path, body);
      expect(r).toMatchObject({ status: 503, retryAfter: '1', body: { error: { code: 'unavailable' } } });
    },
    20_000,
  );

  test('a write retried by the client succeeds once the lock is released', async () => {
    const { dbFile, reg, admin } = await setup();
    await holdWriteLock(dbFile, 1500);
    const client = new RegistryClient({ url: reg.url, token: admin });
    const res = await client.request<{ created: boolean }>('PUT', '/api/v1/templates/account.t/versions/3.0.0', {
      yaml: stepTemplate('t', '3.0.0'),
    });
    expect(res.status).toBe(201);
  }, 20_000);
});

/** A loopback server answering with `answers` in turn (status and headers), recording when each request came. */
async function scripted(answers: { status: number; headers?: Record<string, string> }[]) {
  const times: number[] = [];
  const server = createServer((req, res) => {
    times.push(Date.now());
    const a = answers[Math.min(times.length - 1, answers.length - 1)]!;
    res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
    res.end(
      JSON.stringify(a.status >= 400 ? { error: { code: a.status === 503 ? 'unavailable' : 'internal', message: 'busy' } } : { ok: true }),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, times };
}

describe('the client and Retry-After', () => {
  test('a 503 with Retry-After: 1 is retried after a second, not after the 100 ms backoff', async () => {
    const s = await scripted([{ status: 503, headers: { 'Retry-After': '1' } }, { status: 200 }]);
    const res = await new RegistryClient({ url: s.url }).request('GET', '/x');
    expect(res.status).toBe(200);
    expect(s.times).toHaveLength(2);
    expect(s.times[1]! - s.times[0]!).toBeGreaterThanOrEqual(950);
  });

  test('a Retry-After longer than the client will wait fails at once with a message saying when to retry', async () => {
    const s = await scripted([{ status: 503, headers: { 'Retry-After': '120' } }]);
    const t0 = Date.now();
    const err = await new RegistryClient({ url: s.url }).request('GET', '/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(503);
    expect((err as RegistryError).message).toMatch(/busy.*retry after 120 s/);
    expect(s.times).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
