/**
 * The store's change signal: what a cache of the store's answers (the routes' serialized
 * version answers, routes/version-responses.ts) needs to stay true.
 *
 * - A change made through any `Store` over a connection (publish, label, unlabel, deprecate,
 *   yank) is announced to that connection's listeners right after it commits.
 * - A commit of another connection (another process, mostly) is not announced: it shows as a
 *   new `generation()` of the connection's freshness watch (freshness.ts) within
 *   `CHECK_EVERY_MS`, after which a cache forgets everything (a `FreshMap` over the signal).
 */
import type { DB } from './db.js';
import { freshness, type Generation } from './freshness.js';

/** One committed change of the registry's templates. */
export interface StoreChange {
  action: 'publish' | 'label' | 'unlabel' | 'deprecate' | 'undeprecate' | 'yank' | 'unyank';
  ref: string;
  /** The version whose answer changed or appeared (absent for unlabel). */
  version?: string;
}

/** What caches subscribe to; `generation()` moves when other connections commit. */
export interface StoreChangeSignal extends Generation {
  /** Calls `listener` after every change committed through this connection; answers the unsubscribe. */
  onChange(listener: (change: StoreChange) => void): () => void;
}

/** The signal of one connection; `Store` announces its changes with `emit`. */
export class StoreChanges implements StoreChangeSignal {
  private readonly listeners = new Set<(change: StoreChange) => void>();

  constructor(private readonly watch: Generation) {}

  generation(): number {
    return this.watch.generation();
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Announces a committed change to every listener. */
  emit(change: StoreChange): void {
    for (const l of this.listeners) l(change);
  }
}

const signals = new WeakMap<DB, StoreChanges>();

/** The change signal of `db`, shared by every `Store` over that connection. */
export function storeChanges(db: DB): StoreChanges {
  let s = signals.get(db);
  if (!s) signals.set(db, (s = new StoreChanges(freshness(db))));
  return s;
}
