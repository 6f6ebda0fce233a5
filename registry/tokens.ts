/**
 * Token administration: listing, revocation and the expiry format. Shared by
 * `registry token list|revoke|create` and the admin API (`routes/tokens.ts`).
 *
 * Decisions:
 *  - An expiry is a duration from now: a whole number and a unit, `30m` (minutes), `12h`
 *    (hours) or `90d` (days), at most 3650 days. No expiry: the token lives until revoked.
 *  - A listing shows id, name, scope, creation, expiry, last use and revocation, plus a
 *    computed `status` (`active`, `expired`, `revoked`); never the secret nor its hash.
 *  - Revoking keeps the row (the event log and listings still name it) and is idempotent;
 *    every running server refuses the token within `CHECK_EVERY_MS` (see freshness.ts).
 *  - The last use is recorded at most once a minute per token and server (see auth.ts),
 *    so `lastUsedAt` may lag real use by up to a minute.
 */
import { forgetTokens, type Scope } from './auth.js';
import type { DB } from './db.js';
import { notFound } from './errors.js';

/** One token as listings show it. Times are ISO 8601 UTC. */
export interface TokenInfo {
  id: string;
  name: string;
  scope: Scope;
  createdAt: string;
  expiresAt?: string;
  lastUsedAt?: string;
  revokedAt?: string;
  status: 'active' | 'expired' | 'revoked';
}

interface TokenRecord {
  id: string;
  name: string;
  scope: Scope;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const COLUMNS = 'id, name, scope, created_at, expires_at, last_used_at, revoked_at';

function info(r: TokenRecord, now: Date): TokenInfo {
  const status = r.revoked_at ? 'revoked' : r.expires_at && Date.parse(r.expires_at) <= now.getTime() ? 'expired' : 'active';
  return {
    id: r.id,
    name: r.name,
    scope: r.scope,
    createdAt: r.created_at,
    ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
    ...(r.last_used_at ? { lastUsedAt: r.last_used_at } : {}),
    ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
    status,
  };
}

/** Every token, oldest first. */
export function listTokens(db: DB, now = new Date()): TokenInfo[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM tokens ORDER BY created_at, id`).all() as TokenRecord[]).map((r) => info(r, now));
}

/** A token id as shown by listings and inside `pw_<id>_…`. */
export const TOKEN_ID = /^[0-9a-f]{12}$/;

/**
 * Revokes token `id` (404 when unknown). `revoked` is false when it already was; the
 * revocation time is then the first one.
 */
export function revokeToken(db: DB, id: string, now = new Date()): { token: TokenInfo; revoked: boolean } {
  const r = db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now.toISOString(), id);
  const row = db.prepare(`SELECT ${COLUMNS} FROM tokens WHERE id = ?`).get(id) as TokenRecord | undefined;
  if (!row) throw notFound(`no token ${id}`);
  if (r.changes > 0) forgetTokens(db);
  return { token: info(row, now), revoked: r.changes > 0 };
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The longest expiry accepted. */
export const MAX_EXPIRY_MS = 3650 * UNIT_MS.d;

/** `30m`, `12h`, `90d` → milliseconds; undefined when the text is not such a duration. */
export function parseExpiry(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,6})([mhd])$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms <= MAX_EXPIRY_MS ? ms : undefined;
}
