/**
 * Reading and writing the catalog's cookies. Their values are base64url text written by this
 * server, so they are read as they are (never percent-decoded: a malformed `%` in a cookie
 * someone else set must not fail a request) and checked by the caller.
 */
import type { Request, Response } from 'express';

/** The first value of cookie `name` in the request, or undefined. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  sameSite: 'Strict' | 'Lax';
  /** Set when the request came over https (`req.secure`, which honours a trusted proxy). */
  secure: boolean;
}

/** Adds a `Set-Cookie` (HttpOnly, Path=/) to the response, keeping any set before. */
export function setCookie(res: Response, name: string, value: string, o: CookieOptions): void {
  res.append('Set-Cookie', `${name}=${value}; HttpOnly; SameSite=${o.sameSite}; Path=/; Max-Age=${o.maxAge}${o.secure ? '; Secure' : ''}`);
}
