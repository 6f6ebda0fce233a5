import { describe, expect, test } from 'vitest';
import { DEFAULT_FUZZ_SEED, fuzzSeed } from './fuzz-seed.js';

describe('the fuzz seed', () => {
  test('is fixed unless asked: a number replays it, "random" draws one, anything else is refused', () => {
    expect(fuzzSeed({})).toBe(DEFAULT_FUZZ_SEED);
    expect(fuzzSeed({ PIPEWRIGHT_FUZZ_SEED: '42' })).toBe(42);
    expect(fuzzSeed({ PIPEWRIGHT_FUZZ_SEED: 'random' })).not.toBe(DEFAULT_FUZZ_SEED);
    expect(() => fuzzSeed({ PIPEWRIGHT_FUZZ_SEED: 'soon' })).toThrow(/whole number or "random"/);
  });
});
