/**
 * Bearer tokens with scopes `read` < `publish` < `admin`. A token is `pw_<id>_<secret>`; the
 * database keeps the id and the sha256 of the secret, never the token. Verification looks
 * the id up and compares hashes in constant time, then refuses revoked and expired tokens.
 * Token rows are cached per connection and refreshed when another process changes the
 * database (see freshness.ts), so a revocation anywhere is honoured everywhere within 1 s.
 * Requests are checked by routes/scope.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { DB } from './db.js';
import { isBusy, withoutWaiting } from './busy.js';
import { freshness, FreshMap } from './freshness.js';

/** What a token may do; each scope includes the ones before it. */
export type Scope = 'read' | 'publish' | 'admin';
const RANK: Record<Scope, number> = { read: 1, publish: 2, admin: 3 };

/** Whether a token of scope `has` may do what needs `needs`. */
export const covers = (has: Scope, needs: Scope): boolean => RANK[has] >= RANK[needs];

/** Who a request acts as. */
export interface Principal {
  /** The token's id (`pw_<id>_…`); empty for the anonymous reader. */
  id: string;
  name: string;
  scope: Scope;
}

/** Whether a text names a scope. */
export function isScope(s: string): s is Scope {
  return s === 'read' || s === 'publish' || s === 'admin';
}

const hash = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * Creates a token; the returned text is shown once and never stored. `expiresAt`, when
 * given, is the instant from which every server refuses it.
 */
export function createToken(db: DB, name: string, scope: Scope, now = new Date(), expiresAt?: Date): string {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  db.prepare('INSERT INTO tokens (id, name, scope, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    id,
    name,
    scope,
    hash(secret).toString('hex'),
    now.toISOString(),
    expiresAt ? expiresAt.toISOString() : null,
  );
  return `pw_${id}_${secret}`;
}

/** How often, at most, a server records a token's last use (one small write per token). */
export const LAST_USED_EVERY_MS = 60_000;

interface TokenRow {
  id: string;
  name: string;
  scope: Scope;
  hash: Buffer;
  revoked: boolean;
  /** Epoch ms from which the token is refused; undefined: never expires. */
  expiresAt?: number;
  /** Epoch ms of the last use this process recorded (or found recorded). */
  touchedAt: number;
}

interface TokenCache {
  lookup: Statement;
  touch: Statement;
  rows: FreshMap<string, TokenRow>;
}

/**
 * Token rows by id, per database connection: every request checks a token, so a row is read
 * from SQLite once and kept until the connection's freshness generation moves (another
 * process revoked, deleted or changed a token: seen within `CHECK_EVERY_MS`) or this process
 * revokes one (`forgetTokens`). Expiry is compared with the clock on every use.
 */
const tokenCaches = new WeakMap<DB, TokenCache>();
function cacheOf(db: DB): TokenCache {
  let c = tokenCaches.get(db);
  if (!c) {
    c = {
      lookup: db.prepare('SELECT id, name, scope, hash, revoked_at, expires_at, last_used_at FROM tokens WHERE id = ?'),
      touch: db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?'),
      rows: new FreshMap(freshness(db)),
    };
    tokenCaches.set(db, c);
  }
  return c;
}

function tokenRow(db: DB, id: string): TokenRow | undefined {
  const c = cacheOf(db);
  let row = c.rows.get(id);
  if (!row) {
    const r = c.lookup.get(id) as
      | {
          id: string;
          name: string;
          scope: Scope;
          hash: string;
          revoked_at: string | null;
          expires_at: string | null;
          last_used_at: string | null;
        }
      | undefined;
    if (!r) return undefined;
    row = {
      id: r.id,
      name: r.name,
      scope: r.scope,
      hash: Buffer.from(r.hash, 'hex'),
      revoked: r.revoked_at !== null,
      ...(r.expires_at ? { expiresAt: Date.parse(r.expires_at) } : {}),
      touchedAt: r.last_used_at ? Date.parse(r.last_used_at) : 0,
    };
    c.rows.set(id, row);
  }
  return row;
}

/** Drops this process's cached token rows (after it revoked or changed a token). */
export function forgetTokens(db: DB): void {
  freshness(db).bump();
}

/** Why a token is refused, or the principal it stands for. */
export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: 'invalid' | 'revoked' | 'expired' };

function usable(db: DB, row: TokenRow, now: number): TokenCheck {
  if (row.revoked) return { ok: false, reason: 'revoked' };
  if (row.expiresAt !== undefined && now >= row.expiresAt) return { ok: false, reason: 'expired' };
  if (now - row.touchedAt >= LAST_USED_EVERY_MS) touch(db, row, now);
  return { ok: true, principal: { id: row.id, name: row.name, scope: row.scope } };
}

/**
 * Records the token's last use, at most every `LAST_USED_EVERY_MS` per token and process.
 * Never waits for the write lock: when the database is busy the record is skipped.
 */
function touch(db: DB, row: TokenRow, now: number): void {
  row.touchedAt = now;
  try {
    withoutWaiting(db, () => cacheOf(db).touch.run(new Date(now).toISOString(), row.id));
  } catch (e) {
    if (!isBusy(e)) throw e;
  }
}

/** Checks a bearer token: its secret, revocation and expiry. */
export function checkToken(db: DB, token: string, now = Date.now()): TokenCheck {
  const m = /^pw_([0-9a-f]{12})_([A-Za-z0-9_-]{16,})$/.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  const row = tokenRow(db, m[1]!);
  const given = hash(m[2]!);
  // Compare even when the id is unknown, so timing does not tell which ids exist.
  const stored = row ? row.hash : Buffer.alloc(given.length);
  const same = timingSafeEqual(given, stored);
  return row && same ? usable(db, row, now) : { ok: false, reason: 'invalid' };
}

/** The principal a token stands for, or undefined (unknown, wrong secret, revoked or expired). */
export function verifyToken(db: DB, token: string): Principal | undefined {
  const c = checkToken(db, token);
  return c.ok ? c.principal : undefined;
}

/**
 * The principal of a token id when the token exists and is neither revoked nor expired, else
 * undefined; as fresh across processes as bearer tokens. For server-side sessions, which
 * keep the token id, never the token.
 */
export function principalOfTokenId(db: DB, id: string): Principal | undefined {
  const row = /^[0-9a-f]{12}$/.test(id) ? tokenRow(db, id) : undefined;
  if (!row) return undefined;
  const c = usable(db, row, Date.now());
  return c.ok ? c.principal : undefined;
}
