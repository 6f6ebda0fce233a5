/**
 * Server-side sessions of the web catalog. Signing in with a token creates a session: the
 * browser's cookie holds a random secret (32 bytes, base64url) and nothing else; the
 * `sessions` row is keyed by the secret's sha256 (hex), so the database never holds a usable
 * cookie, and records the token's id (never the token), a CSRF token for the session's forms,
 * and an absolute expiry `SESSION_TTL_S` after sign-in (no sliding renewal).
 *
 * Every request carrying the cookie looks the row up, checks the expiry, and asks
 * `principalOfTokenId` for the token's principal, so a revoked or expired token ends its
 * sessions at once (a deleted token deletes them, ON DELETE CASCADE). A session only signs a
 * browser in to the catalog's pages: the API takes bearer tokens, never this cookie.
 */
import { createHash, randomBytes } from 'node:crypto';
import { principalOfTokenId, type Principal } from './auth.js';
import { retryWhileBusy } from './busy.js';
import type { DB } from './db.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'pw_session';
/** How long a session lives after sign-in: 12 hours. */
export const SESSION_TTL_S = 12 * 3600;

const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** A live session: who it is for and the CSRF token its forms carry. */
export interface Session {
  principal: Principal;
  csrf: string;
}

/** A random 32-byte base64url text (43 characters): session secrets and CSRF tokens. */
export const randomToken = () => randomBytes(32).toString('base64url');

const idOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The sessions of one database; statements prepared once per store. */
export interface SessionStore {
  /**
   * Creates a session for the token `tokenId`, ending the browser's previous session
   * (`replacing`, its cookie secret) and sweeping expired rows, in one write transaction.
   * Answers the new cookie secret and CSRF token.
   */
  create(tokenId: string, replacing?: string): Promise<{ secret: string; csrf: string }>;
  /** The live session of a cookie secret, or undefined (unknown, malformed, expired, token no longer usable). */
  find(secret: string | undefined): Session | undefined;
  /** Deletes the session of a cookie secret, if any. */
  end(secret: string | undefined): Promise<void>;
}

export function sessionStore(db: DB, now: () => number = Date.now): SessionStore {
  const insert = db.prepare('INSERT INTO sessions (id, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM sessions WHERE id = ?');
  const sweep = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
  const lookup = db.prepare('SELECT token_id, csrf, expires_at FROM sessions WHERE id = ?');
  return {
    async create(tokenId, replacing) {
      const secret = randomToken();
      const csrf = randomToken();
      const at = now();
      await retryWhileBusy(db, () =>
        db.transaction(() => {
          // ISO-8601 UTC texts of one length compare as the instants they name.
          sweep.run(new Date(at).toISOString());
          if (replacing && SECRET.test(replacing)) remove.run(idOf(replacing));
          insert.run(idOf(secret), tokenId, csrf, new Date(at).toISOString(), new Date(at + SESSION_TTL_S * 1000).toISOString());
        })(),
      );
      return { secret, csrf };
    },
    find(secret) {
      if (!secret || !SECRET.test(secret)) return undefined;
      const row = lookup.get(idOf(secret)) as { token_id: string; csrf: string; expires_at: string } | undefined;
      if (!row || !(Date.parse(row.expires_at) > now())) return undefined;
      const principal = principalOfTokenId(db, row.token_id);
      return principal ? { principal, csrf: row.csrf } : undefined;
    },
    async end(secret) {
      if (!secret || !SECRET.test(secret)) return;
      await retryWhileBusy(db, () => remove.run(idOf(secret)));
    },
  };
}
