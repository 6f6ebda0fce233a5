/**
 * A busy database without a frozen server. better-sqlite3 is synchronous: with SQLite's
 * busy timeout a write waiting for another connection's write lock sleeps on the event
 * loop, and every request of the process waits with it. So server writes run with the busy
 * timeout set to 0 (`withoutWaiting`), the wait happens between attempts on timers
 * (`retryWhileBusy`), and a database still busy after `WRITE_BUDGET_MS` answers
 * 503 `unavailable` with `Retry-After` (`busy`, `busyErrors`). Reads never take the
 * write lock (WAL) and are not affected.
 */
import type { ErrorRequestHandler } from 'express';
import type { DB } from './db.js';
import { unavailable } from './errors.js';

/** How long a write request keeps retrying for the write lock before answering 503. */
export const WRITE_BUDGET_MS = 1000;
/** The `Retry-After` (seconds) of a busy answer. */
export const RETRY_AFTER_S = 1;

/** 503 `unavailable` with `Retry-After`: the database is busy. */
export const busy = () => unavailable('the registry database is busy; retry shortly', RETRY_AFTER_S);

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
      if (Date.now() + pause > deadline) throw busy();
      await sleep(pause);
      pause = Math.min(pause * 2, 200);
    }
  }
}

/**
 * Router-level error middleware: a raw SQLite busy error (a read or write not wrapped in
 * `retryWhileBusy`) becomes `busy()`, which the app's error middleware answers as 503 with
 * `Retry-After`; any other error passes on unchanged.
 */
export const busyErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  next(isBusy(err) ? busy() : err);
};
