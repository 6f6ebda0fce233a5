/**
 * Bearer tokens with scopes `read` < `publish` < `admin`. A token is `pw_<id>_<secret>`; the
 * database keeps the id and the sha256 of the secret, never the token. Verification looks
 * the id up and compares hashes in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Statement } from 'better-sqlite3';
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

interface TokenRow {
  name: string;
  scope: Scope;
  hash: Buffer;
}

/**
 * Token rows by id, per database: every request checks a token, and tokens never change
 * once created (there is no revocation yet), so a row is read from SQLite once. Ids not in
 * the cache (created by another process since) are looked up again.
 */
const tokenCaches = new WeakMap<DB, { lookup: Statement; rows: Map<string, TokenRow> }>();
function tokenRow(db: DB, id: string): TokenRow | undefined {
  let c = tokenCaches.get(db);
  if (!c) tokenCaches.set(db, (c = { lookup: db.prepare('SELECT name, scope, hash FROM tokens WHERE id = ?'), rows: new Map() }));
  let row = c.rows.get(id);
  if (!row) {
    const r = c.lookup.get(id) as { name: string; scope: Scope; hash: string } | undefined;
    if (!r) return undefined;
    row = { name: r.name, scope: r.scope, hash: Buffer.from(r.hash, 'hex') };
    if (c.rows.size < 10_000) c.rows.set(id, row);
  }
  return row;
}

/** The principal a token stands for, or undefined. */
export function verifyToken(db: DB, token: string): Principal | undefined {
  const m = /^pw_([0-9a-f]{12})_([A-Za-z0-9_-]{16,})$/.exec(token);
  if (!m) return undefined;
  const row = tokenRow(db, m[1]!);
  const given = hash(m[2]!);
  // Compare even when the id is unknown, so timing does not tell which ids exist.
  const stored = row ? row.hash : Buffer.alloc(given.length);
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
