/**
 * The API's scope checks: middleware requiring a bearer token of a scope (`read` < `publish` <
 * `admin`), which sets `req.principal`. Reads pass without a token when the server allows
 * anonymous reads. The header is read by bearer.ts, the token checked by auth.ts.
 */
import type { RequestHandler } from 'express';
import { covers, type Principal, type Scope, type TokenCheck } from '../auth.js';
import { forbidden, unauthorized } from '../errors.js';
import { credentialsOf } from './bearer.js';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** What checks a bearer token (the store, over its database). */
export interface TokenChecker {
  checkToken(token: string): TokenCheck;
}

/** A scope check per scope, as the route modules take it. */
export type Auth = (scope: Scope) => RequestHandler;

const REFUSED = {
  invalid: 'the bearer token is not valid',
  revoked: 'the bearer token was revoked',
  expired: 'the bearer token has expired',
} as const;

/**
 * Middleware requiring `scope` (or more): 401 without a usable token (none, a malformed
 * header, an unknown, revoked or expired token), 403 with a token of a lower scope.
 */
export function requireScope(tokens: TokenChecker, scope: Scope, anonymousRead: boolean): RequestHandler {
  return (req, _res, next) => {
    const credentials = credentialsOf(req);
    if (credentials.kind === 'none') {
      if (scope === 'read' && anonymousRead) {
        req.principal = { id: '', name: 'anonymous', scope: 'read' };
        return next();
      }
      return next(unauthorized());
    }
    const c = credentials.kind === 'bearer' ? tokens.checkToken(credentials.token) : undefined;
    if (!c?.ok) return next(unauthorized(REFUSED[c?.reason ?? 'invalid']));
    const p = c.principal;
    if (!covers(p.scope, scope))
      return next(forbidden(`this needs ${scope === 'admin' ? 'an' : 'a'} ${scope} token; '${p.name}' has ${p.scope}`));
    req.principal = p;
    next();
  };
}
