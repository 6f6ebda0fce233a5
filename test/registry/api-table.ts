/**
 * API tests as tables: each case is one behaviour — a fresh registry, the requests that make
 * its state (`given`, each checked for its status), one request (`when`) and what its answer
 * must be. Every error answer in JSON is also checked for the error shape and for the absence
 * of a stack trace. Run a table with `test.each(table([...cases]))('%s', runRow)`.
 */
import request, { type Response } from 'supertest';
import { expect } from 'vitest';
import { bearer, bootRegistry, stepTemplate } from './fixtures.js';

export type Registry = ReturnType<typeof bootRegistry>;

/**
 * Who sends a request: a token of a scope, nobody (no Authorization header), a literal token,
 * a token of a scope under another spelling of the scheme, or a literal header value.
 */
export type Who =
  keyof Registry['tokens'] | 'nobody' | { token: string } | { scheme: string; scope: keyof Registry['tokens'] } | { authorization: string };

/** One request. `as` defaults to `read` for GET and `publish` for writes. */
export interface Call {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  as?: Who;
  /** JSON (an object) or raw text (sent with `type`). */
  body?: object | string;
  type?: string;
  headers?: Record<string, string>;
}

/** A request that makes a case's state, and the status it must answer. */
export interface Step extends Call {
  status: number;
}

/** The parts of the API's JSON answers the tables look at. */
export interface ApiBody {
  error?: { code: string; message: string; details?: { code: string; line?: number; file?: string }[] };
  digest?: string;
  labels?: Record<string, string>;
  templates?: { ref: string }[];
  results?: ({ ok: true; version: string } | { ok: false; error: { code: string } })[];
  events?: { id: number; actor: string; action: string }[];
  patch?: string;
  inputs?: unknown;
  deprecation?: unknown;
  yanked?: boolean;
}

/** An answer as the checks see it. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: ApiBody;
  text: string;
}

export interface ApiCase {
  /** The behaviour, as the test's title. */
  what: string;
  registry?: { anonymousRead?: boolean };
  given?: Step[];
  /** The request; as a function it gets the answers to `given` (to send back an ETag, an id). */
  when: Call | ((given: Answer[]) => Call);
  status: number;
  /** A subset of the JSON answer (`toMatchObject`; asymmetric matchers welcome). */
  body?: object;
  /** The whole JSON answer (`toEqual`). */
  exact?: unknown;
  /** Text the answer (a page) contains, or matches. */
  text?: string | RegExp;
  headers?: Record<string, string | RegExp>;
  /** Further checks of the answer. */
  then?: (answer: Answer, given: Answer[]) => void;
}

function authorization(r: Registry, who: Who): string | undefined {
  if (who === 'nobody') return undefined;
  if (typeof who === 'string') return bearer(r.tokens[who]).Authorization;
  if ('token' in who) return bearer(who.token).Authorization;
  return 'scope' in who ? `${who.scheme} ${r.tokens[who.scope]}` : who.authorization;
}

async function send(r: Registry, call: Call): Promise<Answer> {
  let req = request(r.app)[call.method](call.path);
  const auth = authorization(r, call.as ?? (call.method === 'get' ? 'read' : 'publish'));
  if (auth !== undefined) req = req.set('Authorization', auth);
  if (call.headers) req = req.set(call.headers);
  if (call.type) req = req.type(call.type);
  const res: Response = call.body === undefined ? await req : await req.send(call.body);
  return { status: res.status, headers: res.headers, body: res.body as ApiBody, text: res.text };
}

/** Runs one case on a fresh registry. */
export async function runCase(c: ApiCase): Promise<void> {
  const r = bootRegistry(c.registry ?? {});
  const given: Answer[] = [];
  for (const step of c.given ?? []) {
    const a = await send(r, step);
    expect(a.status, `given ${step.method.toUpperCase()} ${step.path}: ${a.text}`).toBe(step.status);
    given.push(a);
  }
  const a = await send(r, typeof c.when === 'function' ? c.when(given) : c.when);
  expect(a.status, a.text).toBe(c.status);
  if (c.body !== undefined) expect(a.body).toMatchObject(c.body);
  if (c.exact !== undefined) expect(a.body).toEqual(c.exact);
  if (typeof c.text === 'string') expect(a.text).toContain(c.text);
  else if (c.text) expect(a.text).toMatch(c.text);
  for (const [name, value] of Object.entries(c.headers ?? {}))
    if (typeof value === 'string') expect(a.headers[name]).toBe(value);
    else expect(a.headers[name]).toMatch(value);
  if (a.status >= 400 && /json/.test(a.headers['content-type'] ?? '')) {
    expect(a.body.error).toMatchObject({ code: anyString(), message: anyString() });
    expect(a.text).not.toMatch(/at .*\.(ts|js):\d+/);
  }
  c.then?.(a, given);
}

// Asymmetric matchers, typed for the tables' `body` (expect's own are `any`).

/** Any string. */
export const anyString = (): unknown => expect.any(String);
/** A string matching `re`. */
export const matching = (re: RegExp): unknown => expect.stringMatching(re);
/** A string containing `text`. */
export const containing = (text: string): unknown => expect.stringContaining(text);

/** A table's rows, titled by their behaviour (`'%s'`). */
export const table = (cases: ApiCase[]): [string, ApiCase][] => cases.map((c) => [c.what, c]);

/** Runs one row of `table`. */
export const runRow = (_what: string, c: ApiCase): Promise<void> => runCase(c);

// Steps that make state.

export const publish = (ref: string, version: string, yaml: string, status = 201): Step => ({
  method: 'put',
  path: `/api/v1/templates/${ref}/versions/${version}`,
  body: { yaml },
  status,
});

/** Publishes `account.<id>@<version>` of a Step template with the fixtures' text. */
export const publishStep = (id: string, version: string, opts: Parameters<typeof stepTemplate>[2] = {}): Step =>
  publish(`${opts.org ? 'org' : 'account'}.${id}`, version, stepTemplate(id, version, opts));

export const label = (ref: string, name: string, version: string): Step => ({
  method: 'put',
  path: `/api/v1/templates/${ref}/labels/${name}`,
  body: { version },
  status: 200,
});

export const unlabel = (ref: string, name: string): Step => ({
  method: 'delete',
  path: `/api/v1/templates/${ref}/labels/${name}`,
  status: 204,
});

export const deprecate = (ref: string, version: string, body: object): Step => ({
  method: 'post',
  path: `/api/v1/templates/${ref}/versions/${version}/deprecate`,
  body,
  status: 200,
});

export const yank = (ref: string, version: string): Step => ({
  method: 'post',
  path: `/api/v1/templates/${ref}/versions/${version}/yank`,
  as: 'admin',
  status: 200,
});

export const get = (path: string, status = 200): Step => ({ method: 'get', path, status });
