/**
 * The hostile-input suite against one real `registry serve` process: alias bombs by nodes and
 * by bytes, deep nesting, ReDoS patterns, malformed HTTP (encodings, bodies, paths, request
 * lines), prototype keys. Every one is refused with its 4xx, quickly, and the server answers
 * `/healthz` within 100 ms throughout (a monitor polls it every 20 ms from first request to
 * last). Escaped processes, the runtime's side of the suite, are in runtime-escape.test.ts.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createToken, openDatabase } from '../../registry/index.js';
import { tempDir } from '../helpers.js';
import { killChildren, serveProcess } from '../registry/serve.js';

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One HTTP request on a fresh connection. */
function send(url: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, agent: false, headers: { Connection: 'close', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes on a socket; resolves with the status line's code. */
function raw(url: string, bytes: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    s.on('error', () => resolve(0));
    s.end(bytes);
    setTimeout(() => s.destroy(), 3000);
  });
}

/**
 * The monitor's loop, in a worker thread of its own: the test's main thread builds and sends
 * multi-megabyte hostile bodies, and a monitor sharing its event loop would measure those
 * stalls, not the server's.
 */
const MONITOR = `
const { parentPort, workerData } = require('node:worker_threads');
const { request } = require('node:http');
const latencies = [];
let failures = 0;
let stopped = false;
parentPort.on('message', () => (stopped = true));
const once = () => new Promise((resolve) => {
  const t0 = performance.now();
  const req = request(new URL('/healthz', workerData.url), { agent: false, headers: { Connection: 'close' } }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - t0 : undefined));
  });
  req.on('error', () => resolve(undefined));
  req.end();
});
(async () => {
  while (!stopped) {
    const ms = await once();
    if (ms === undefined) failures++;
    else latencies.push(ms);
    await new Promise((r) => setTimeout(r, workerData.everyMs));
  }
  parentPort.postMessage({ latencies, failures });
})();
`;

/** Polls /healthz every `everyMs` (from a worker thread) until stopped; collects each answer's latency. */
function healthMonitor(url: string, everyMs = 20) {
  const worker = new Worker(MONITOR, { eval: true, workerData: { url, everyMs } });
  return {
    async stop(): Promise<{ latencies: number[]; failures: number; max: number }> {
      const done = new Promise<{ latencies: number[]; failures: number }>((resolve) => worker.once('message', resolve));
      worker.postMessage('stop');
      const r = await done;
      await worker.terminate();
      return { ...r, max: Math.max(...r.latencies) };
    },
  };
}

const template = (id: string, extra: string, spec = '    type: Run\n    spec:\n      shell: Sh\n      command: echo hi\n') =>
  `template:\n  name: ${id}\n  identifier: ${id}\n  versionLabel: "1.0.0"\n  type: Step\n${extra}  spec:\n${spec}`;

// Built before the monitor starts, so building them cannot stall the measurement.
const big = 'x'.repeat(100_000);
const aliasBytes = template(
  'bytes',
  `  description: &d "${big}"\n  tags:\n${Array.from({ length: 1500 }, (_, i) => `    k${i}: *d`).join('\n')}\n`,
);
const laughs = ['  tags:', '    l0: &l0 [a, a, a, a, a, a, a, a, a, a]'];
for (let i = 1; i <= 8; i++) laughs.push(`    l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
const aliasNodes = template('nodes', laughs.join('\n') + '\n');
const deepYaml = template('deep', `  tags: {k: ${'['.repeat(3000)}${']'.repeat(3000)}}\n`);
const deepJson = `{"yaml":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
const redos = template(
  'redos',
  `  inputs:\n    name: {type: string, regex: "^(a+)+$", default: "${'a'.repeat(40)}!"}\n`,
  '    type: Run\n    spec:\n      shell: Sh\n      command: echo {{inputs.name}}\n',
);
const redosHarness = template(
  'redos2',
  '',
  `    type: Run\n    spec:\n      shell: Sh\n      command: <+input>.regex(^(a+)+$).default(${'a'.repeat(40)}!)\n`,
);
const backref = template('backref', `  inputs:\n    name: {type: string, regex: "^(a)\\\\1$", default: "aa"}\n`);
const protoInputs = template(
  'proto',
  `  inputs:\n    __proto__: {type: string}\n    constructor: {type: string}\n`,
  '    type: Run\n    spec:\n      shell: Sh\n      command: echo {{inputs.constructor}}\n',
);

describe('hostile input against a live registry process', () => {
  let url = '';
  let token = '';
  let monitor: ReturnType<typeof healthMonitor>;
  const results: { what: string; status: number; ms: number }[] = [];

  beforeAll(async () => {
    const dir = tempDir({}, 'pw-hostile-');
    const dbFile = join(dir, 'registry.db');
    const db = openDatabase(dbFile);
    token = createToken(db, 'ci', 'admin');
    db.close();
    url = (await serveProcess(dbFile)).url;
    monitor = healthMonitor(url);
  });

  afterAll(() => killChildren());

  const publish = (name: string, yaml: string) =>
    send(url, 'PUT', `/api/v1/templates/account.${name}/versions/1.0.0`, JSON.stringify({ yaml }), {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
    });

  test.each([
    ['an alias bomb by bytes (one 100 KB scalar aliased 1,500 times)', 'bytes', () => aliasBytes, /PW1/],
    ['an alias bomb by nodes (a billion laughs)', 'nodes', () => aliasNodes, /PW1/],
    ['3,000-deep nesting', 'deep', () => deepYaml, /PW1007/],
    ['a ReDoS input regex with a default that backtracks', 'redos', () => redos, /PW3/],
    ['a ReDoS <+input>.regex() with a default that backtracks', 'redos2', () => redosHarness, /PW3/],
    ['a backreference RE2 cannot run', 'backref', () => backref, /PW3/],
  ])('publish of %s is a quick 422', async (what, name, yaml, code) => {
    const a = await publish(name, yaml());
    results.push({ what, status: a.status, ms: a.ms });
    expect(a.status, a.body.slice(0, 500)).toBe(422);
    expect(a.body).toMatch(code);
    expect(a.ms).toBeLessThan(2000);
  });

  test('inputs named __proto__ or constructor never crash a publish', async () => {
    const a = await publish('proto', protoInputs);
    expect([201, 422]).toContain(a.status);
  });

  test.each([
    [
      'a 10,000-deep JSON body',
      () =>
        send(url, 'PUT', '/api/v1/templates/account.x/versions/1.0.0', deepJson, {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
        }),
    ],
    [
      'a body that says gzip and is not',
      () =>
        send(url, 'PUT', '/api/v1/templates/account.x/versions/1.0.0', '{"yaml":"x"}', {
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
          Authorization: `Bearer ${token}`,
        }),
    ],
    [
      'a malformed percent-encoding in a path',
      () => send(url, 'GET', '/api/v1/templates/%E0%A4%A', undefined, { Authorization: `Bearer ${token}` }),
    ],
    [
      'a ref with a toString key',
      () =>
        send(url, 'POST', '/api/v1/resolve', '{"requests":[{"ref":{"toString":1}}]}', {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
        }),
    ],
    [
      'a __proto__ key in a JSON body',
      () =>
        send(url, 'POST', '/api/v1/resolve', '{"__proto__":{"requests":[]},"requests":{"__proto__":1}}', {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
        }),
    ],
    [
      'a body that is not JSON',
      () =>
        send(url, 'PUT', '/api/v1/templates/account.x/versions/1.0.0', 'yaml: x', {
          'Content-Type': 'text/yaml',
          Authorization: `Bearer ${token}`,
        }),
    ],
    [
      'a bad sunset date',
      () =>
        send(url, 'POST', '/api/v1/templates/account.x/versions/1.0.0/deprecate', '{"message":"m","sunset":"2026-13-45"}', {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
        }),
    ],
  ])('%s is a 4xx', async (_what, call) => {
    const a = await call();
    expect(a.status, a.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(a.status).toBeLessThan(500);
    expect(JSON.parse(a.body)).toHaveProperty('error.code');
  });

  test.each([
    ['a request line with a NUL byte', 'GET /api/v1/\0templates HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an unknown method', 'BREW /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['a 64 KB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(65_536)}\r\n\r\n`],
    ['garbage instead of HTTP', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n'],
  ])('%s is a 4xx, never a crash', async (_what, bytes) => {
    const status = await raw(url, bytes);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  test('the server answered /healthz within 100 ms throughout', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const h = await monitor.stop();
    expect(h.failures).toBe(0);
    expect(h.latencies.length).toBeGreaterThanOrEqual(10);
    expect(h.max, `healthz latencies (ms): ${h.latencies.map((x) => x.toFixed(0)).join(' ')}`).toBeLessThan(100);
    // The server is still fine afterwards.
    expect((await send(url, 'GET', '/healthz')).status).toBe(200);
  });
});
