/**
 * The seed of a randomised test: fixed by default, so CI runs the same cases every time and a
 * failure reproduces from a clean clone; `PIPEWRIGHT_FUZZ_SEED=N` replays seed N, and
 * `PIPEWRIGHT_FUZZ_SEED=random` asks for a new one (printed in the test name).
 */
export const DEFAULT_FUZZ_SEED = 20261129;

export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const v = env['PIPEWRIGHT_FUZZ_SEED'];
  if (v === undefined || v === '') return DEFAULT_FUZZ_SEED;
  if (v === 'random') return Date.now() % 2 ** 31;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`PIPEWRIGHT_FUZZ_SEED must be a whole number or "random", not ${JSON.stringify(v)}`);
  return n;
}
