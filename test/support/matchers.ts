/**
 * vitest's asymmetric matchers, typed as what they are. vitest declares `expect.stringMatching`
 * and `expect.any` to return `any`, which then flows untyped into the object a test compares
 * (`toMatchObject({ message: expect.stringMatching(/x/) })`); these return the matcher's
 * interface instead. Same matchers, same comparisons.
 */
import { expect } from 'vitest';

/** What `toEqual` and `toMatchObject` ask of an asymmetric matcher. */
export interface AsymmetricMatcher {
  asymmetricMatch: (other: unknown) => boolean;
}

/** A string matching `pattern` (`expect.stringMatching`). */
export const stringMatching = (pattern: RegExp): AsymmetricMatcher => expect.stringMatching(pattern) as AsymmetricMatcher;

/** Any string (`expect.any(String)`). */
export const anyString = (): AsymmetricMatcher => expect.any(String) as AsymmetricMatcher;
