/**
 * The sign-in page: signing in to the catalog, and out. `GET /login` shows the form (also
 * shown, with 401, for a gated page: `loginPage`). `POST /login` takes a token (a read token
 * suffices; any scope works, and the session only ever reads pages), checks the form's CSRF
 * token and origin, verifies the token, creates a server-side session (session.ts) and
 * redirects to `next`, a same-origin path only. `POST /logout` (the layout's sign-out button; the
 * session's CSRF token and a same-origin request required) deletes the session row and
 * clears the cookie.
 *
 * The session cookie `pw_session` is HttpOnly, SameSite=Lax, Path=/, Max-Age 12 h, and
 * `Secure` when the request came over https (`req.secure`: behind a TLS-terminating proxy
 * that is true only when the app trusts the proxy's `X-Forwarded-Proto`, `AppOptions.trustProxy`).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { TokenCheck } from '../../auth.js';
import { readCookie, setCookie } from '../../cookies.js';
import { crossOrigin, loginCsrfOk, loginCsrfToken, sameToken } from '../../csrf.js';
import { SESSION_COOKIE, SESSION_TTL_S, type SessionStore } from '../../session.js';
import type { SendPage } from '../../views.js';
import { sessionOf } from './session.js';

/** The cookie in which earlier versions kept the raw token; cleared at sign-in, never read. */
const LEGACY_TOKEN_COOKIE = 'pw_token';

const BASE = 'http://catalog.invalid';

/**
 * Where to go after signing in: `next` when it is a path on this origin once parsed as a
 * browser parses it (a backslash, a tab or a dot segment cannot make it `//host`), else `/`.
 * Answers the parsed path, query and fragment, which is what the browser will follow.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return '/';
  }
  if (url.origin !== BASE) return '/';
  const path = url.pathname + url.search + url.hash;
  return /^\/(?![/\\])/.test(path) ? path : '/';
}

/** Renders the sign-in form (with this browser's CSRF token) at `status`. */
export function loginPage(req: Request, res: Response, send: SendPage, status: number, data: { next: string; error?: string }): void {
  send(res, status, 'login', 'Sign in', { ...data, csrf: loginCsrfToken(req, res), signedInAs: sessionOf(res)?.principal.name });
}

/** A string field of a urlencoded form, else undefined (a repeated field is an array). */
function field(req: Request, name: string): string | undefined {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

/** What the sign-in routes need: the token check, the sessions and the page sender. */
export interface LoginDeps {
  tokens: { checkToken(token: string): TokenCheck };
  sessions: SessionStore;
  send: SendPage;
}

/** Adds `GET /login`, `POST /login` and `POST /logout` to the catalog's router. */
export function loginRoutes(r: Router, { tokens, sessions, send }: LoginDeps): void {
  const cookieOptions = (req: Request, maxAge: number) => ({ maxAge, sameSite: 'Lax' as const, secure: req.secure });
  const refuse = (res: Response, why: string) => send(res, 403, 'error', 'Forbidden', { title: 'Forbidden', message: `Refused: ${why}.` });

  r.get('/login', (req, res) => loginPage(req, res, send, 200, { next: safeNext(req.query['next']) }));

  r.post('/login', form, async (req, res) => {
    const why = crossOrigin(req);
    if (why) return refuse(res, why);
    const next = safeNext(field(req, 'next'));
    if (!loginCsrfOk(req, field(req, 'csrf')))
      return loginPage(req, res, send, 403, {
        next,
        error: 'This sign-in form has expired or did not come from this site. Please sign in again.',
      });
    const checked = tokens.checkToken(field(req, 'token') ?? '');
    if (!checked.ok) return loginPage(req, res, send, 401, { next, error: 'That token is not valid.' });
    const { secret } = await sessions.create(checked.principal.id, readCookie(req, SESSION_COOKIE));
    setCookie(res, SESSION_COOKIE, secret, cookieOptions(req, SESSION_TTL_S));
    // Earlier versions kept the raw token in `pw_token`: take it out of the browser.
    if (readCookie(req, LEGACY_TOKEN_COOKIE) !== undefined) setCookie(res, LEGACY_TOKEN_COOKIE, '', cookieOptions(req, 0));
    res.redirect(303, next);
  });

  r.post('/logout', form, async (req, res) => {
    const why = crossOrigin(req);
    if (why) return refuse(res, why);
    const session = sessionOf(res);
    // A live session is ended only by its own form; a dead one may be cleared by anyone.
    if (session && !sameToken(field(req, 'csrf'), session.csrf)) return refuse(res, 'the sign-out form did not carry this session’s token');
    await sessions.end(readCookie(req, SESSION_COOKIE));
    setCookie(res, SESSION_COOKIE, '', cookieOptions(req, 0));
    res.redirect(303, '/login');
  });
}

/** The OpenAPI description of the sign-in routes (HTML forms), merged into `/openapi.json` by openapi.ts. */
export function loginOpenApiPaths(): Record<string, unknown> {
  const form = (properties: Record<string, object>, required: string[]) => ({
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required, properties } } },
  });
  const csrf = { type: 'string', description: "the form's CSRF token (sign-in: the pw_csrf cookie's value; sign-out: the session's)" };
  return {
    '/login': {
      get: {
        summary: 'sign-in page (HTML); sets the pw_csrf cookie its form repeats',
        security: [],
        parameters: [{ name: 'next', in: 'query', schema: { type: 'string' }, description: 'a same-origin path to return to' }],
        responses: { '200': { description: 'text/html' } },
      },
      post: {
        summary: 'sign in with a token: a server-side session of 12 h in the HttpOnly pw_session cookie (Secure over https)',
        security: [],
        requestBody: form({ token: { type: 'string' }, next: { type: 'string' }, csrf }, ['token', 'csrf']),
        responses: {
          '303': { description: 'signed in; redirect to next (same-origin paths only, else /)' },
          '401': { description: 'bad token: the form again' },
          '403': { description: 'cross-origin request or missing/wrong CSRF token' },
        },
      },
    },
    '/logout': {
      post: {
        summary: 'sign out: deletes the session and clears its cookie',
        security: [],
        requestBody: form({ csrf }, ['csrf']),
        responses: {
          '303': { description: 'signed out; redirect to /login' },
          '403': { description: 'cross-origin request or missing/wrong CSRF token' },
        },
      },
    },
  };
}
