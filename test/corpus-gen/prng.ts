/**
 * The seeded PRNG of the corpus generator: mulberry32, and the seed of each pipeline of a
 * corpus (so each pipeline is reproducible alone).
 */
import { rng } from '../mutate.js';
import type { Rng } from './yaml-emit.js';

/** mulberry32: a 32-bit seeded PRNG (the fuzz tests' one). */
export const mulberry32: (seed: number) => Rng = rng;

/** The seed of pipeline `index` of a corpus seeded `seed` (each pipeline is reproducible alone). */
export function pipelineSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
