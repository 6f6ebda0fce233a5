/**
 * The one reader of bearer tokens in requests: `Authorization: Bearer <token>` (the scheme in
 * any case, one or more spaces, a token without spaces). The API's scope checks (scope.ts)
 * and the catalog's gate (pages.ts) both read the header here; what the token is worth is
 * auth.ts's business.
 */
import type { Request } from 'express';

const BEARER = /^Bearer\s+(\S+)$/i;

/** What the request's Authorization header says. */
export type Credentials =
  /** No Authorization header (or an empty one). */
  | { kind: 'none' }
  /** A header that is not `Bearer <token>`. */
  | { kind: 'malformed' }
  | { kind: 'bearer'; token: string };

/** Reads the request's Authorization header. */
export function credentialsOf(req: Pick<Request, 'headers'>): Credentials {
  const header = req.headers.authorization;
  if (!header) return { kind: 'none' };
  const token = BEARER.exec(header)?.[1];
  return token === undefined ? { kind: 'malformed' } : { kind: 'bearer', token };
}
