/**
 * A busy database without a frozen server. better-sqlite3 is synchronous: with SQLite's
 * busy timeout a write waiting for another connection's write lock sleeps on the event
 * loop, and every request of the process waits with it. So server writes run with the busy
 * timeout set to 0 (`withoutWaiting`), the wait happens between attempts on timers
 * (`retryWhileBusy`), and a database still busy after `WRITE_BUDGET_MS` answers
 * 503 `unavailable` with `Retry-After` (`unavailable`, `busyErrors`). Reads never take the
 * write lock (WAL) and are not affected.
 */
import type { ErrorRequestHandler } from 'express';
import type { DB } from './db.js';
import { ApiError, type ErrorCode } from './errors.js';

/** How long a write request keeps retrying for the write lock before answering 503. */
export const WRITE_BUDGET_MS = 1000;
/** The `Retry-After` (seconds) of a busy answer. */
export const RETRY_AFTER_S = 1;

/**
 * 503 `unavailable`: the database is busy; try again after `retryAfterS` seconds. The error
 * table in errors.ts has no 503, so this subclass carries its own status and code; the one
 * error middleware serializes it like any ApiError, and `busyErrors` adds `Retry-After`.
 */
export class UnavailableError extends ApiError {
  constructor(
    message: string,
    readonly retryAfterS = RETRY_AFTER_S,
  ) {
    super('internal', message);
    // The code on the wire; not (yet) a key of the error table.
    Object.defineProperty(this, 'code', { value: 'unavailable' as unknown as ErrorCode });
  }

  override get status(): number {
    return 503;
  }
}

export const unavailable = (m = 'the registry database is busy; retry shortly') => new UnavailableError(m);

/** Whether `e` is SQLite saying another connection holds the lock it needs. */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Runs `fn` with the busy timeout at 0: a held lock fails at once instead of blocking the process. */
export function withoutWaiting<T>(db: DB, fn: () => T): T {
  const before = db.pragma('busy_timeout', { simple: true }) as number;
  if (before === 0) return fn();
  db.pragma('busy_timeout = 0');
  try {
    return fn();
  } finally {
    db.pragma(`busy_timeout = ${before}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the synchronous write `fn` (one transaction), retrying on a busy database with short
 * growing pauses that leave the event loop free; after `budgetMs` throws `unavailable()`.
 * `fn` must have no effect when it fails busy (a transaction that did not start).
 */
export async function retryWhileBusy<T>(db: DB, fn: () => T, budgetMs = WRITE_BUDGET_MS): Promise<T> {
  const deadline = Date.now() + budgetMs;
  let pause = 10;
  for (;;) {
    try {
      return withoutWaiting(db, fn);
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() + pause > deadline) throw unavailable();
      await sleep(pause);
      pause = Math.min(pause * 2, 200);
    }
  }
}

/**
 * Router-level error middleware: turns a raw SQLite busy error into `unavailable()` and sets
 * `Retry-After` on busy answers, then hands the error to the app's error middleware.
 */
export const busyErrors: ErrorRequestHandler = (err, _req, res, next) => {
  const e = isBusy(err) ? unavailable() : err;
  if (e instanceof UnavailableError && !res.headersSent) res.setHeader('Retry-After', String(e.retryAfterS));
  next(e);
};
