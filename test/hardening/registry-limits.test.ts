/**
 * Limits a hostile client must not get past, against the real CLI process (`dist/`) on a
 * temporary SQLite file over HTTP on 127.0.0.1:
 *
 * - a version diff bounds its work: two large, very different versions answer fast with a
 *   "too large to show line by line" flag (API and catalog page), while `/healthz`, polled
 *   every 20 ms from this process, keeps answering;
 * - an error met by Node's HTTP parser (before or under express) is answered with its status
 *   and the error table's JSON body, not an empty one.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DIFF_LIMITS, diffVersions } from '../../registry/diff.js';
import { clientErrorOf } from '../../registry/errors.js';
import { createToken, openDatabase, type VersionRow } from '../../registry/index.js';
import { tempDir } from '../helpers.js';
import { bearer, stepTemplate } from '../registry/fixtures.js';
import { killChildren, serveProcess } from '../registry/serve.js';
import { stringMatching } from '../support/matchers.js';

afterAll(killChildren);

/** A registry process allowing anonymous reads, and a publish token for it. */
async function registry(): Promise<{ url: string; publishToken: string }> {
  const db = join(tempDir({}, 'pw-limits-'), 'registry.db');
  const handle = openDatabase(db);
  const publishToken = createToken(handle, 'ci', 'publish');
  handle.close();
  const { url } = await serveProcess(db, ['--anonymous-read']);
  return { url, publishToken };
}

/** `n` lines of 26 random hex digits (27 bytes a line with its newline). */
const hexLines = (n: number) => Array.from({ length: n }, () => randomBytes(13).toString('hex')).join('\n');

async function publish(url: string, token: string, ref: string, version: string, description: string): Promise<void> {
  const id = ref.split('.')[1]!;
  const res = await fetch(`${url}/api/v1/templates/${ref}/versions/${version}`, {
    method: 'PUT',
    headers: { ...bearer(token), 'Content-Type': 'application/json' },
    body: JSON.stringify({ yaml: stepTemplate(id, version, { description }) }),
  });
  expect(res.status, await res.text()).toBe(201);
}

interface Measured {
  status: number;
  text: string;
  ms: number;
  /** Slowest `/healthz` answer while the request ran. */
  maxHealthzMs: number;
}

/**
 * GETs `path` while polling `/healthz` every 20 ms; gives up on either after 5 s (the server
 * process is killed after the test), so a blocked event loop fails the test instead of hanging it.
 */
async function whilePolling(url: string, path: string): Promise<Measured> {
  let running = true;
  let maxHealthzMs = 0;
  const poller = (async () => {
    while (running) {
      const start = performance.now();
      try {
        await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).text();
      } catch {
        // timed out: counted below as the time waited
      }
      maxHealthzMs = Math.max(maxHealthzMs, performance.now() - start);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 60)); // the poller is under way before the request
  const start = performance.now();
  let status = 0;
  let text = '';
  try {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5000) });
    status = res.status;
    text = await res.text();
  } catch (e) {
    text = String(e);
  }
  const ms = performance.now() - start;
  await new Promise((r) => setTimeout(r, 60)); // and goes on a little after
  running = false;
  await poller;
  return { status, text, ms, maxHealthzMs };
}

interface DiffAnswer {
  patch: string;
  inputs: unknown;
  tooLarge?: { reason: string; message: string; from: { digest: string; bytes: number }; to: { digest: string; bytes: number } };
}

describe('a version diff bounds its work', () => {
  afterEach(killChildren);

  test('two 540 KB versions: the API answers fast with tooLarge, /healthz keeps answering', async () => {
    const { url, publishToken } = await registry();
    await publish(url, publishToken, 'account.big', '1.0.0', hexLines(20_000));
    await publish(url, publishToken, 'account.big', '2.0.0', hexLines(20_000));
    const m = await whilePolling(url, '/api/v1/templates/account.big/diff?from=1.0.0&to=2.0.0');
    console.log(`540 KB pair, API: diff ${m.ms.toFixed(0)} ms, max /healthz ${m.maxHealthzMs.toFixed(0)} ms`);
    expect(m.status, m.text.slice(0, 300)).toBe(200);
    const body = JSON.parse(m.text) as DiffAnswer;
    expect(body.tooLarge).toMatchObject({
      reason: 'size',
      from: { digest: stringMatching(/^sha256:/) },
      to: { digest: stringMatching(/^sha256:/) },
    });
    expect(body.tooLarge!.from.bytes).toBeGreaterThan(500_000);
    expect(body.patch).toMatch(/too large to show line by line/);
    expect(body.inputs).toEqual({ added: [], removed: [], retyped: [], defaultChanged: [], nowRequired: [] });
    expect(m.ms).toBeLessThan(200);
    expect(m.maxHealthzMs).toBeLessThan(100);
  }, 60_000);

  test('two 540 KB versions: the catalog page shows a message instead of the diff, fast', async () => {
    const { url, publishToken } = await registry();
    await publish(url, publishToken, 'account.big', '1.0.0', hexLines(20_000));
    await publish(url, publishToken, 'account.big', '2.0.0', hexLines(20_000));
    const m = await whilePolling(url, '/templates/account.big/diff?from=1.0.0&to=2.0.0');
    console.log(`540 KB pair, page: ${m.ms.toFixed(0)} ms, max /healthz ${m.maxHealthzMs.toFixed(0)} ms`);
    expect(m.status, m.text.slice(0, 300)).toBe(200);
    expect(m.text).toMatch(/too large to show line by line/);
    expect(m.text).toMatch(/sha256:/);
    expect(m.text).not.toMatch(/class="(add|del)"/);
    expect(m.ms).toBeLessThan(200);
    expect(m.maxHealthzMs).toBeLessThan(100);
  }, 60_000);

  test('two 3,000-line (81 KB) versions, all lines changed: over the edit bound, answered fast', async () => {
    const { url, publishToken } = await registry();
    await publish(url, publishToken, 'account.mid', '1.0.0', hexLines(3000));
    await publish(url, publishToken, 'account.mid', '2.0.0', hexLines(3000));
    const m = await whilePolling(url, '/api/v1/templates/account.mid/diff?from=1.0.0&to=2.0.0');
    console.log(`81 KB pair, API: diff ${m.ms.toFixed(0)} ms, max /healthz ${m.maxHealthzMs.toFixed(0)} ms`);
    expect(m.status, m.text.slice(0, 300)).toBe(200);
    // `edits` (over 250 changed lines), or `time` when a cold or busy process is slower
    expect(['edits', 'time']).toContain((JSON.parse(m.text) as DiffAnswer).tooLarge?.reason);
    expect(m.ms).toBeLessThan(200);
    expect(m.maxHealthzMs).toBeLessThan(100);
  }, 60_000);

  test('a 3,000-line version with one line changed still gets its line diff', async () => {
    const { url, publishToken } = await registry();
    const lines = hexLines(3000).split('\n');
    await publish(url, publishToken, 'account.one', '1.0.0', lines.join('\n'));
    const old = lines[1500]!;
    lines[1500] = 'the changed line';
    await publish(url, publishToken, 'account.one', '2.0.0', lines.join('\n'));
    const res = await fetch(`${url}/api/v1/templates/account.one/diff?from=1.0.0&to=2.0.0`);
    const body = (await res.json()) as DiffAnswer;
    expect(body.tooLarge).toBeUndefined();
    expect(body.patch).toMatch(/^\+\s+the changed line$/m);
    expect(body.patch).toContain(`\n-    ${old}\n`);
    // versionLabel, the command (both name the version) and the one line
    expect(body.patch.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toHaveLength(6);
  }, 60_000);

  test('a 200-line version rewritten completely still gets its whole line diff', async () => {
    const { url, publishToken } = await registry();
    await publish(url, publishToken, 'account.small', '1.0.0', hexLines(200));
    await publish(url, publishToken, 'account.small', '2.0.0', hexLines(200));
    const body = (await (await fetch(`${url}/api/v1/templates/account.small/diff?from=1.0.0&to=2.0.0`)).json()) as DiffAnswer;
    expect(body.tooLarge).toBeUndefined();
    expect(body.patch.split('\n').filter((l) => /^[-+]\s+[0-9a-f]{26}$/.test(l))).toHaveLength(400);
  }, 60_000);
});

describe('the bounds of diffVersions, without the time budget', () => {
  const row = (version: string, content: unknown): VersionRow => ({
    ref: 'account.x',
    version,
    digest: `sha256:${version}`,
    source: '',
    canonical: JSON.stringify(content),
    inputs: '{}',
    createdAt: '',
    createdBy: '',
    yanked: false,
  });
  const untimed = { ...DIFF_LIMITS, timeoutMs: 60_000 };

  test.each([
    ['3,000 changed lines', 'edits', { d: hexLines(1500) }, { d: hexLines(1500) }],
    ['3,002 values a side', 'size', { l: Array.from({ length: 3000 }, (_, i) => i) }, { l: Array.from({ length: 3000 }, (_, i) => -i) }],
    ['over 20,000 lines together', 'size', { d: hexLines(10_000) }, { d: hexLines(10_000) }],
    ['257 KiB a side', 'size', { d: 'x'.repeat(257 * 1024) }, { d: 'y'.repeat(257 * 1024) }],
  ])('%s: too large (%s)', (_name, reason, before, after) => {
    const d = diffVersions(row('1.0.0', before), row('2.0.0', after), untimed);
    expect(d.tooLarge?.reason).toBe(reason);
    expect(d.patch).toMatch(
      /^Files account\.x@1\.0\.0 and account\.x@2\.0\.0 differ: too large to show line by line: .*\n={67}\n--- account\.x@1\.0\.0\tsha256:1\.0\.0\n\+\+\+ account\.x@2\.0\.0\tsha256:2\.0\.0\n$/,
    );
  });

  test('within the bounds: the whole unified diff, no tooLarge', () => {
    const list = (seven: unknown) => ({ l: Array.from({ length: 2998 }, (_, i) => (i === 7 ? seven : i)) }); // 3,000 values with the list and the root
    const d = diffVersions(row('1.0.0', list(7)), row('2.0.0', list('seven')), untimed);
    expect(d.tooLarge).toBeUndefined();
    expect(d.patch).toMatch(/^- {2}- 7\n\+ {2}- seven$/m);
  });
});

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `bytes` on a fresh connection and reads until the server closes it. */
function raw(url: string, bytes: string | Buffer): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    const done = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: rest.join('\r\n\r\n') });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', (e) => {
      if (!chunks.length) reject(e); // else a reset after the answer: what was read counts
    });
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    });
  });
}

const host = 'Host: 127.0.0.1\r\n';
const post = (headers: string, body: string) =>
  `POST /api/v1/resolve HTTP/1.1\r\n${host}Content-Type: application/json\r\n${headers}\r\n${body}`;

describe("errors of the HTTP parser are answered in the error table's shape", () => {
  let url = '';
  beforeAll(async () => {
    url = (await registry()).url;
  });

  test.each([
    ['a 70 KB header', 431, 'headers_too_large', `GET /healthz HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(70_000)}\r\n\r\n`],
    [
      '3,000 headers',
      431,
      'headers_too_large',
      `GET /healthz HTTP/1.1\r\n${host}${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`,
    ],
    ['a bad request line', 400, 'bad_request', 'NOT AN HTTP REQUEST\r\n\r\n'],
    ['a bad HTTP version', 400, 'bad_request', `GET /healthz HTTP/7.3\r\n${host}\r\n`],
    ['a space in the path', 400, 'bad_request', `GET /heal thz HTTP/1.1\r\n${host}\r\n`],
    ['a control character in a header', 400, 'bad_request', `GET /healthz HTTP/1.1\r\n${host}X-A: a\x01b\r\n\r\n`],
    ['a bad chunk size', 400, 'bad_request', post('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n')],
    [
      'Transfer-Encoding and Content-Length',
      400,
      'bad_request',
      post('Transfer-Encoding: chunked\r\nContent-Length: 7\r\n', '2\r\n{}\r\n0\r\n\r\n'),
    ],
  ])(
    '%s: %i %s with a JSON body',
    async (_name, status, code, bytes) => {
      const reply = await raw(url, bytes);
      expect(reply.status, JSON.stringify(reply)).toBe(status);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.headers['connection']).toBe('close');
      expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(reply.body));
      const body = JSON.parse(reply.body) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.message).toEqual(expect.any(String));
      // The server goes on answering other connections.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    },
    20_000,
  );

  test.each([
    [{ code: 'HPE_HEADER_OVERFLOW' }, 431, 'headers_too_large'],
    [{ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, 408, 'request_timeout'],
    [{ code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' }, 413, 'payload_too_large'],
    [{ code: 'HPE_INVALID_METHOD', message: 'Parse Error: Invalid method encountered' }, 400, 'bad_request'],
    [new Error('anything else'), 400, 'bad_request'],
  ])('parser error %o is %i %s', (err, status, code) => {
    const e = clientErrorOf(err);
    expect(e.status).toBe(status);
    expect(e.code).toBe(code);
  });
});
