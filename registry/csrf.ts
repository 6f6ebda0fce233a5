/**
 * Cross-site request forgery defences of the catalog's forms (every form that POSTs):
 *
 * - Origin: a POST whose `Sec-Fetch-Site` is present and not `same-origin` (or `none`: typed
 *   by the user), or whose `Origin` is `null` or names another host than the request's own
 *   `Host` (`X-Forwarded-Host` when the app trusts its proxy), is refused. Browsers send one or
 *   both on every form POST; a request with neither (an old browser, a script) still needs
 *   the token below.
 * - Token: the sign-in form, shown before any session exists, uses a double-submit token: a
 *   random value in the `pw_csrf` cookie (HttpOnly, SameSite=Strict) that the form repeats in
 *   its `csrf` field; a page from another origin can neither read the cookie nor know the
 *   value. Forms shown to a signed-in browser (sign-out) carry the session's own CSRF token,
 *   kept in its `sessions` row. Tokens are compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookie, setCookie } from './cookies.js';
import { randomToken, SESSION_TTL_S } from './session.js';

/** The cookie of the sign-in form's double-submit token. */
export const LOGIN_CSRF_COOKIE = 'pw_csrf';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Why a state-changing request looks cross-origin, or undefined when it does not. */
export function crossOrigin(req: Request): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `the form was sent from another site (${site})`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  return sameHost(origin, req.host) ? undefined : `the form was sent from another origin (${origin})`;
}

/** Whether `origin` names the host (and port) `host`; default ports and case do not count. */
function sameHost(origin: string, host: string | undefined): boolean {
  if (origin === 'null' || !host) return false;
  try {
    const o = new URL(origin);
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/** Constant-time equality of two tokens (false when either is missing). */
export function sameToken(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The sign-in form's CSRF token for this browser: the `pw_csrf` cookie's value when it holds
 * one (so several open sign-in forms stay valid), else a new value set in the cookie.
 */
export function loginCsrfToken(req: Request, res: Response): string {
  const existing = readCookie(req, LOGIN_CSRF_COOKIE);
  if (existing && TOKEN.test(existing)) return existing;
  const token = randomToken();
  setCookie(res, LOGIN_CSRF_COOKIE, token, { maxAge: SESSION_TTL_S, sameSite: 'Strict', secure: req.secure });
  return token;
}

/** Whether a sign-in POST repeats its browser's `pw_csrf` cookie in the `csrf` field. */
export function loginCsrfOk(req: Request, field: unknown): boolean {
  const cookie = readCookie(req, LOGIN_CSRF_COOKIE);
  return !!cookie && TOKEN.test(cookie) && sameToken(field, cookie);
}
