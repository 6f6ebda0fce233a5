/**
 * Freshness of the in-process caches (token rows, serialized version answers) when other
 * processes write to the same SQLite file.
 *
 * Each database connection gets one watch. `generation()` reads SQLite's `PRAGMA
 * data_version` at most every `CHECK_EVERY_MS` (the pragma changes whenever another
 * connection, in this process or another, commits); when it moved, the generation goes up
 * and every `FreshMap` over that connection empties itself on its next use. Changes made
 * through this connection do not move `data_version`: the code making them drops its own
 * entries or calls `bump()`. A cache therefore never serves a row that another process
 * changed more than `CHECK_EVERY_MS` ago (plus the time of one request).
 *
 * Cost: a clock read per cache access, one pragma read (about a microsecond) per interval.
 */
import type { Statement } from 'better-sqlite3';
import type { DB } from './db.js';

/** How often, at most, a connection asks SQLite whether another connection committed. */
export const CHECK_EVERY_MS = 250;

/** Something whose number goes up whenever the caches over it must forget what they hold. */
export interface Generation {
  generation(): number;
}

/** The cache generation of one connection. */
export class FreshnessWatch implements Generation {
  private gen = 0;
  private seen: unknown;
  private checkedAt: number;
  private readonly dataVersion: Statement;

  constructor(
    db: DB,
    private readonly everyMs = CHECK_EVERY_MS,
  ) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.seen = this.dataVersion.get();
    this.checkedAt = Date.now();
  }

  /** Current generation; goes up when another connection committed since the last check. */
  generation(): number {
    const now = Date.now();
    if (now - this.checkedAt >= this.everyMs) {
      this.checkedAt = now;
      let v: unknown;
      try {
        v = this.dataVersion.get();
      } catch {
        v = Symbol('unknown'); // closed or unreadable: forget everything
      }
      if (v !== this.seen) {
        this.seen = v;
        this.gen++;
      }
    }
    return this.gen;
  }

  /** Empties every cache over this connection (after a change made through it). */
  bump(): void {
    this.gen++;
  }
}

const watches = new WeakMap<DB, FreshnessWatch>();

/** The watch of `db`, created on first use. */
export function freshness(db: DB): FreshnessWatch {
  let w = watches.get(db);
  if (!w) watches.set(db, (w = new FreshnessWatch(db)));
  return w;
}

/** A bounded map that empties itself when its generation (a connection's watch) moves. */
export class FreshMap<K, V> {
  private readonly map = new Map<K, V>();
  private gen: number;

  constructor(
    private readonly watch: Generation,
    private readonly max = 10_000,
  ) {
    this.gen = watch.generation();
  }

  private sync(): void {
    const g = this.watch.generation();
    if (g !== this.gen) {
      this.map.clear();
      this.gen = g;
    }
  }

  get(key: K): V | undefined {
    this.sync();
    return this.map.get(key);
  }

  /** Stores `value` unless the map is full (then the caller simply recomputes next time). */
  set(key: K, value: V): void {
    this.sync();
    if (this.map.size < this.max || this.map.has(key)) this.map.set(key, value);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}
