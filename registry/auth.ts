/**
 * Bearer tokens with scopes `read` < `publish` < `admin`. A token is `pw_<id>_<secret>`; the
 * database keeps the id and the sha256 of the secret, never the token. Verification looks
 * the id up and compares hashes in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DB } from './db.js';
import { forbidden, unauthorized } from './errors.js';

export type Scope = 'read' | 'publish' | 'admin';
const RANK: Record<Scope, number> = { read: 1, publish: 2, admin: 3 };

export interface Principal {
  name: string;
  scope: Scope;
}

export function isScope(s: string): s is Scope {
  return s === 'read' || s === 'publish' || s === 'admin';
}

const hash = (secret: string) => createHash('sha256').update(secret).digest();

/** Creates a token; the returned text is shown once and never stored. */
export function createToken(db: DB, name: string, scope: Scope, now = new Date()): string {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  db.prepare('INSERT INTO tokens (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)').run(id, name, scope, hash(secret).toString('hex'), now.toISOString());
  return `pw_${id}_${secret}`;
}

/** The principal a token stands for, or undefined. */
export function verifyToken(db: DB, token: string): Principal | undefined {
  const m = /^pw_([0-9a-f]{12})_([A-Za-z0-9_-]{16,})$/.exec(token);
  if (!m) return undefined;
  const row = db.prepare('SELECT name, scope, hash FROM tokens WHERE id = ?').get(m[1]) as { name: string; scope: Scope; hash: string } | undefined;
  const given = hash(m[2]!);
  // Compare even when the id is unknown, so timing does not tell which ids exist.
  const stored = row ? Buffer.from(row.hash, 'hex') : Buffer.alloc(given.length);
  const same = timingSafeEqual(given, stored);
  return row && same ? { name: row.name, scope: row.scope } : undefined;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * Middleware requiring `scope` (or more). Reads pass without a token when the server runs
 * with anonymous reads.
 */
export function requireScope(db: DB, scope: Scope, anonymousRead: boolean): RequestHandler {
  return (req, _res, next) => {
    const header = req.headers.authorization;
    if (!header) {
      if (scope === 'read' && anonymousRead) {
        req.principal = { name: 'anonymous', scope: 'read' };
        return next();
      }
      return next(unauthorized());
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const p = m ? verifyToken(db, m[1]!) : undefined;
    if (!p) return next(unauthorized('the bearer token is not valid'));
    if (RANK[p.scope] < RANK[scope]) return next(forbidden(`this needs a ${scope} token; '${p.name}' has ${p.scope}`));
    req.principal = p;
    next();
  };
}
