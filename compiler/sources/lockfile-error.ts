/**
 * What is wrong with a lockfile: `malformed` (not a lockfile of this version), `unusable` (a
 * folder, unreadable, not writable) or `busy` (another process held its guard too long).
 */
export class LockfileError extends Error {
  constructor(
    message: string,
    readonly kind: 'malformed' | 'unusable' | 'busy',
  ) {
    super(message);
  }
}
