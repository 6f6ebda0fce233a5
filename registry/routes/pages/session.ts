/**
 * The browser session a catalog request comes with: looked up once per request from the
 * `pw_session` cookie (`sessionLookup`, before every page) and read by whatever renders the
 * page (`sessionOf`). Only a request carrying the cookie costs a lookup. The session store
 * itself, and what a session is, are session.ts's.
 */
import type { RequestHandler, Response } from 'express';
import { readCookie } from '../../cookies.js';
import { SESSION_COOKIE, type Session, type SessionStore } from '../../session.js';

const SESSION_LOCAL = 'pwSession';

/** The live session of the browser a response is for (resolved by `sessionLookup`). */
export function sessionOf(res: Response): Session | undefined {
  return res.locals[SESSION_LOCAL] as Session | undefined;
}

/** Middleware: every page learns who is signed in. */
export function sessionLookup(sessions: SessionStore): RequestHandler {
  return (req, res, next) => {
    const secret = readCookie(req, SESSION_COOKIE);
    if (secret !== undefined) res.locals[SESSION_LOCAL] = sessions.find(secret);
    next();
  };
}
