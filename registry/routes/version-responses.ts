/**
 * The HTTP response cache of `GET /api/v1/templates/{ref}/versions/{version}`, the hot path of
 * every compile that misses its local cache: each answer is serialized once, with its
 * validator, and kept until the store says it changed. An entry is dropped when the store
 * signals a change of its version (a deprecation, a yank), and every entry when another
 * process commits to the database (seen within `CHECK_EVERY_MS`, see store-changes.ts).
 */
import { FreshMap } from '../freshness.js';
import type { StoreChangeSignal } from '../store-changes.js';

/** A serialized answer and its `ETag`. */
export interface CachedResponse {
  etag: string;
  body: Buffer;
}

const keyOf = (ref: string, version: string) => `${ref}@${version}`;

/** The cache of one app's version answers, kept true by the store's change signal. */
export class VersionResponses {
  private readonly answers: FreshMap<string, CachedResponse>;

  constructor(changes: StoreChangeSignal) {
    this.answers = new FreshMap(changes);
    changes.onChange((c) => {
      if (c.version !== undefined) this.answers.delete(keyOf(c.ref, c.version));
    });
  }

  /** The answer for `ref@version`: cached, or made by `make` (which may throw, e.g. a 404) and cached. */
  get(ref: string, version: string, make: () => CachedResponse): CachedResponse {
    const key = keyOf(ref, version);
    let answer = this.answers.get(key);
    if (!answer) {
      answer = make();
      this.answers.set(key, answer);
    }
    return answer;
  }
}
