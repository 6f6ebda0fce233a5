/**
 * Every client mistake is answered with its 4xx in the error table's shape
 * (`{error: {code, message}}`), never a 500: a real app on a temporary SQLite file, served on
 * 127.0.0.1 and spoken to with node:http, so malformed requests reach the server as sent.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMiddleware, unavailable } from '../../registry/errors.js';
import { createToken } from '../../registry/index.js';
import { bootRegistry, stepTemplate } from '../registry/fixtures.js';
import type { ApiErrorBody } from '../support/api-json.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

let server: Server;
let port: number;
let reg: ReturnType<typeof bootRegistry>;

function send(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; token?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
    if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'Content-Type': 'application/json' };
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

/** The body is the error table's shape with the expected code. */
function expectError(res: Reply, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  const body = JSON.parse(res.text) as { error: { code: unknown; message: unknown } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(res.text).not.toMatch(/at \w+ \(|node_modules/);
}

beforeAll(async () => {
  reg = bootRegistry();
  server = await new Promise<Server>((resolve) => {
    const s = reg.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
  const ok = await send('PUT', '/api/v1/templates/account.t/versions/1.0.0', {
    token: reg.tokens.publish,
    headers: json,
    body: JSON.stringify({ yaml: stepTemplate('t', '1.0.0') }),
  });
  expect(ok.status).toBe(201);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  reg.db.close();
});

const PUBLISH = '/api/v1/templates/account.t/versions/1.0.1';
const LABEL = '/api/v1/templates/account.t/labels/canary';
const DEPRECATE = '/api/v1/templates/account.t/versions/1.0.0/deprecate';

describe('the four reported 500s answer 4xx', () => {
  test('a body sent with Content-Encoding: gzip that is not gzip is 400', async () => {
    const res = await send('PUT', PUBLISH, {
      token: reg.tokens.publish,
      headers: { ...json, 'Content-Encoding': 'gzip' },
      body: JSON.stringify({ yaml: 'x' }),
    });
    expectError(res, 400, 'bad_request');
  });

  test('a truncated gzip body is 400 and a real gzip body still works', async () => {
    const full = gzipSync(JSON.stringify({ requests: [{ ref: 'account.t', selector: '1.0.0' }] }));
    const cut = await send('POST', '/api/v1/resolve', {
      token: reg.tokens.read,
      headers: { ...json, 'Content-Encoding': 'gzip' },
      body: full.subarray(0, full.length - 6),
    });
    expectError(cut, 400, 'bad_request');
    const whole = await send('POST', '/api/v1/resolve', {
      token: reg.tokens.read,
      headers: { ...json, 'Content-Encoding': 'gzip' },
      body: full,
    });
    expect(whole.status).toBe(200);
  });

  test.each([
    ['/api/v1/templates/%E0%A4%A'],
    ['/api/v1/templates/%E0%A4%A/versions/1.0.0'],
    ['/api/v1/templates/account.t/versions/%FF'],
    ['/api/v1/templates/%'],
  ])('a malformed percent-encoding in an API path is 400: %s', async (path) => {
    expectError(await send('GET', path, { token: reg.tokens.read }), 400, 'bad_request');
  });

  test('a malformed percent-encoding in a page path is a 400 page', async () => {
    const res = await send('GET', '/templates/%E0%A4%A', { token: reg.tokens.read });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  test.each([
    ['publish', 'PUT', PUBLISH, 'publish', `{"template":${deep(10_000)}}`],
    ['resolve', 'POST', '/api/v1/resolve', 'read', `{"requests":${deep(10_000)}}`],
    ['label', 'PUT', LABEL, 'publish', `{"version":"1.0.0","x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`],
    ['resolve, a million deep', 'POST', '/api/v1/resolve', 'read', `{"requests":${deep(400_000)}}`],
  ] as const)('a 10,000-deep JSON body is refused before any route sees it (%s)', async (_name, method, path, scope, body) => {
    const res = await send(method, path, { token: reg.tokens[scope], headers: json, body });
    expectError(res, 400, 'bad_request');
    expect((JSON.parse(res.text) as ApiErrorBody).error.message).toMatch(/nested/);
  });

  test('nesting within the limit still parses (strings with brackets do not count)', async () => {
    const nested = {
      requests: [{ ref: 'account.t', selector: '1.0.0', note: '[[[[{{{{'.repeat(100), x: JSON.parse(deep(40)) as unknown }],
    };
    const res = await send('POST', '/api/v1/resolve', { token: reg.tokens.read, headers: json, body: JSON.stringify(nested) });
    expect(res.status, res.text).toBe(200);
  });
});

describe('non-strings where strings are due', () => {
  test.each([
    ['a ref with toString', { requests: [{ ref: { toString: 1 } }] }],
    ['a selector with toString', { requests: [{ ref: 'account.t', selector: { toString: 1 } }] }],
    ['a ref that is a number', { requests: [{ ref: 5 }] }],
    ['a ref that is an array', { requests: [{ ref: ['account.t'] }] }],
    ['a selector that is an object', { requests: [{ ref: 'account.t', selector: {} }] }],
    ['requests is an object', { requests: { ref: 'account.t' } }],
  ])('resolve: %s is 400', async (_name, body) => {
    expectError(
      await send('POST', '/api/v1/resolve', { token: reg.tokens.read, headers: json, body: JSON.stringify(body) }),
      400,
      'bad_request',
    );
  });

  test.each([
    ['label version with toString', 'PUT', LABEL, { version: { toString: 1 } }],
    ['label version a number', 'PUT', LABEL, { version: 1 }],
    ['label version an array', 'PUT', LABEL, { version: ['1.0.0'] }],
    ['deprecate message a number', 'POST', DEPRECATE, { message: 5 }],
    ['deprecate sunset with toString', 'POST', DEPRECATE, { message: 'm', sunset: { toString: 1 } }],
    ['publish yaml with toString', 'PUT', PUBLISH, { yaml: { toString: 1 } }],
    ['publish yaml a number', 'PUT', PUBLISH, { yaml: 5 }],
  ] as const)('%s is 400', async (_name, method, path, body) => {
    expectError(await send(method, path, { token: reg.tokens.publish, headers: json, body: JSON.stringify(body) }), 400, 'bad_request');
  });
});

describe('bodies of the wrong shape or type', () => {
  test.each([
    ['resolve', 'POST', '/api/v1/resolve', 'read'],
    ['publish', 'PUT', PUBLISH, 'publish'],
    ['label', 'PUT', LABEL, 'publish'],
    ['deprecate', 'POST', DEPRECATE, 'publish'],
  ] as const)('%s: an array, a string, null, a number and malformed JSON are 400', async (_name, method, path, scope) => {
    for (const body of ['[]', '[{"requests":[]}]', '"text"', 'null', '5', '{"a":', '{"a":1}}', '\u0000']) {
      expectError(await send(method, path, { token: reg.tokens[scope], headers: json, body }), 400, 'bad_request');
    }
  });

  test.each([
    ['text/plain', 'POST', '/api/v1/resolve', 'read'],
    ['application/x-www-form-urlencoded', 'POST', '/api/v1/resolve', 'read'],
    ['text/yaml', 'PUT', PUBLISH, 'publish'],
    ['application/octet-stream', 'PUT', LABEL, 'publish'],
  ] as const)('a body of type %s to %s %s is 415', async (type, method, path, scope) => {
    expectError(
      await send(method, path, { token: reg.tokens[scope], headers: { 'Content-Type': type }, body: JSON.stringify({ requests: [] }) }),
      415,
      'unsupported_media_type',
    );
  });

  test('a body without a Content-Type is 415', async () => {
    expectError(await send('POST', '/api/v1/resolve', { token: reg.tokens.read, body: '{"requests":[]}' }), 415, 'unsupported_media_type');
  });

  test('an unknown charset or content encoding is 415', async () => {
    expectError(
      await send('POST', '/api/v1/resolve', {
        token: reg.tokens.read,
        headers: { 'Content-Type': 'application/json; charset=klingon' },
        body: '{"requests":[]}',
      }),
      415,
      'unsupported_media_type',
    );
    expectError(
      await send('POST', '/api/v1/resolve', {
        token: reg.tokens.read,
        headers: { ...json, 'Content-Encoding': 'snappy' },
        body: '{"requests":[]}',
      }),
      415,
      'unsupported_media_type',
    );
  });

  test('a body over the limit is 413', async () => {
    expectError(
      await send('POST', '/api/v1/resolve', {
        token: reg.tokens.read,
        headers: json,
        body: `{"requests":[],"pad":"${'x'.repeat(1_100_000)}"}`,
      }),
      413,
      'payload_too_large',
    );
  });

  test('requests without a body still work (yank, an empty JSON body)', async () => {
    expect((await send('POST', '/api/v1/templates/account.t/versions/1.0.0/yank', { token: reg.tokens.admin })).status).toBe(200);
    expectError(await send('POST', '/api/v1/resolve', { token: reg.tokens.read, headers: json, body: '' }), 400, 'bad_request');
  });
});

describe('odd paths and methods', () => {
  test.each([
    ['GET', '/api/v1/templates/..%2F..%2Fetc%2Fpasswd', 400, 'bad_request'],
    ['GET', '/api/v1/templates/account.t/versions/..', 400, 'bad_request'],
    ['GET', '/api/v1/templates/account.t%00x', 400, 'bad_request'],
    ['GET', '/api/v1/templates/account.t/versions/1.0.0%00', 400, 'bad_request'],
    ['GET', '/api/v1/templates?q=%00', 200, ''],
    ['GET', '/api/v1/templates?q=a&q=b', 400, 'bad_request'],
    ['GET', '/api/v1/templates/account.t/diff?from=1.0.0', 400, 'bad_request'],
    ['GET', '/api/v1/templates/account.t/diff?from=%00&to=1.0.0', 400, 'bad_request'],
    ['GET', '/api/v1/events?after=%00', 400, 'bad_request'],
    ['PATCH', '/api/v1/templates/account.t', 404, 'not_found'],
    ['PROPFIND', '/api/v1/templates', 404, 'not_found'],
    ['DELETE', '/api/v1/resolve', 404, 'not_found'],
    ['GET', '/api/v1/nothing/here', 404, 'not_found'],
  ] as const)('%s %s is %i', async (method, path, status, code) => {
    const res = await send(method, path, { token: reg.tokens.admin });
    if (status === 200) expect(res.status).toBe(200);
    else expectError(res, status, code);
  });

  test.each([
    '/static/..%2Fpages.ts',
    '/static/%2e%2e%2fapp.ts',
    '/static/catalog.css%00',
    '/templates/account.t%00',
    '/templates/..%2F..',
  ])('page path %s is a 4xx page', async (path) => {
    const res = await send('GET', path, { token: reg.tokens.read });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/registry\/|import /);
  });

  test('page query mistakes are 4xx pages', async () => {
    for (const path of [
      '/?q=a&q=b',
      '/templates/account.t?version=%00',
      '/templates/account.t/diff?from=1.0.0&to=%E0%A4%A',
      '/?page=%00&q=%00',
    ]) {
      const res = await send('GET', path, { token: reg.tokens.read });
      expect(res.status, path).toBeLessThan(500);
    }
  });
});

/** Sends `raw` bytes on a fresh connection and answers the status line's code. */
function rawStatus(raw: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.end(raw));
    let out = '';
    sock.on('data', (d: Buffer) => (out += d.toString('latin1')));
    sock.on('error', reject);
    sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0)));
  });
}

describe('requests the HTTP parser refuses', () => {
  test.each([
    ['an unknown method', 'FROB /api/v1/templates HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a raw NUL in the path', 'GET /api/v1/templates/a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a NUL in a header', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
    [
      'a Content-Length that is not a number',
      'POST /api/v1/resolve HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ten\r\n\r\n{}',
    ],
  ])('%s is 400', async (_name, raw) => {
    expect(await rawStatus(raw)).toBe(400);
  });
});

describe('the error middleware', () => {
  test('passes on the headers an error carries (a 503 with Retry-After), and hides internal errors', async () => {
    const app = express();
    const logs: string[] = [];
    app.get('/busy', () => {
      throw unavailable('the database is busy', 2);
    });
    app.get('/foreign', (_req, _res, next) => next(Object.assign(new Error('locked'), { status: 503, headers: { 'Retry-After': '3' } })));
    app.get('/boom', () => {
      throw Object.assign(new Error('secret detail'), { headers: { 'X-Leak': 'yes' } });
    });
    app.use(errorMiddleware((l) => logs.push(l)));
    const s = await new Promise<Server>((resolve) => {
      const x = app.listen(0, '127.0.0.1', () => resolve(x));
    });
    const saved = port;
    port = (s.address() as AddressInfo).port;
    try {
      const busy = await send('GET', '/busy');
      expectError(busy, 503, 'unavailable');
      expect(busy.headers['retry-after']).toBe('2');
      const foreign = await send('GET', '/foreign');
      expectError(foreign, 503, 'unavailable');
      expect(foreign.headers['retry-after']).toBe('3');
      const boom = await send('GET', '/boom');
      expectError(boom, 500, 'internal');
      expect(boom.text).not.toContain('secret');
      expect(boom.headers['x-leak']).toBeUndefined();
      expect(logs.join('\n')).toContain('secret detail');
    } finally {
      port = saved;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});

describe('every route, every wrong type', () => {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; regexp?: unknown };
  /** Every route of the app as [method, path with parameters filled], walked like the OpenAPI test does. */
  function routes(throwawayId: string, digest: string): [string, string][] {
    const out: [string, string][] = [];
    const walk = (stack: Layer[], prefix: string) => {
      for (const layer of stack) {
        if (layer.route) for (const m of Object.keys(layer.route.methods)) out.push([m.toUpperCase(), prefix + layer.route.path]);
        else if (layer.handle?.stack) walk(layer.handle.stack, prefix);
      }
    };
    walk((reg.app as unknown as { router: { stack: Layer[] } }).router.stack, '');
    const fill: Record<string, string> = {
      ref: 'account.t',
      version: '1.0.0',
      label: 'canary',
      id: throwawayId,
      digest,
      file: 'catalog.css',
    };
    // Routers mounted at /api/v1 list their paths without it, and layers do not keep the
    // mount path: each path is tried as listed and under /api/v1.
    const all = out.flatMap(
      ([m, p]) =>
        (p.startsWith('/api/')
          ? [[m, p]]
          : [
              [m, p],
              [m, `/api/v1${p}`],
            ]) as [string, string][],
    );
    return all.map(([m, p]) => [m, p.replace(/:(\w+)/g, (_x, name: string) => fill[name] ?? 'x')] as [string, string]);
  }

  const FIELDS = [
    'yaml',
    'template',
    'version',
    'message',
    'sunset',
    'requests',
    'ref',
    'selector',
    'token',
    'name',
    'scope',
    'expires',
    'next',
    'csrf',
  ];
  const VALUES: unknown[] = [
    5,
    -1,
    1e308,
    true,
    null,
    [],
    ['x'],
    {},
    { toString: 1 },
    { toString: 1, valueOf: 1 },
    '\u0000',
    'x'.repeat(100_000),
    [{ toString: 1 }],
    JSON.parse('{"__proto__":{"polluted":1}}'),
  ];

  test('no JSON body of the wrong types makes any route answer 5xx', async () => {
    const throwaway = createThrowaway();
    const v = await send('GET', '/api/v1/templates/account.t/versions/1.0.0', { token: reg.tokens.read });
    const list = routes(throwaway, (JSON.parse(v.text) as { digest: string }).digest);
    expect(list.length).toBeGreaterThanOrEqual(15);
    const failures: string[] = [];
    const statuses = new Set<number>();
    for (const [method, path] of list) {
      const bodies = [
        ...VALUES.map((x) => Object.fromEntries(FIELDS.map((f) => [f, x]))),
        ...FIELDS.map((f) => ({ [f]: { toString: 1 } })),
        ...FIELDS.map((f) => ({ requests: [{ ref: 'account.t', [f]: 7 }], [f]: 7 })),
      ];
      for (const body of bodies) {
        const res = await send(method, path, { token: reg.tokens.admin, headers: json, body: JSON.stringify(body) });
        statuses.add(res.status);
        if (res.status >= 500)
          failures.push(`${method} ${path} ${JSON.stringify(body).slice(0, 80)} → ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    // The sweep reached the routes: bodies were refused as bad requests, and some calls went through.
    expect(statuses).toContain(400);
    expect(statuses).toContain(200);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('no query of the wrong shape makes any GET route answer 5xx', async () => {
    const throwaway = createThrowaway();
    const list = routes(throwaway, 'sha256:' + '0'.repeat(64)).filter(([m]) => m === 'GET');
    const failures: string[] = [];
    for (const [, path] of list) {
      for (const q of [
        'q=%00&type=%00&label=%00',
        'q=%E0%A4%A',
        'page=1e308&after=1e308&limit=1e308',
        'after=-0&limit=9007199254740993',
        'version=a&version=b',
        'from=%00&to=..',
        'type[]=x&label[x]=y',
        'next=%E0%A4%A',
      ]) {
        const res = await send('GET', `${path}?${q}`, { token: reg.tokens.admin });
        if (res.status >= 500) failures.push(`GET ${path}?${q} → ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

/** A token only the sweep may revoke; answers its id. */
function createThrowaway(): string {
  return createToken(reg.db, 'throwaway', 'read').split('_')[1]!;
}
