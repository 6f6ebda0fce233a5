/**
 * A deterministic generator of realistic Harness CI "v0" pipelines (issue 14, point 5).
 *
 * Every construct is one Harness accepts; the comment beside each names where its shape
 * comes from: a real file of /work/shared/corpus/harness-v0 ("corpus: FILE"), a realworld
 * fixture of test/fixtures/compile/realworld ("fixture: FILE"), or a Harness doc or Harness
 * source class ("doc: ...", "harness-core: Class"). The generator never writes a typo: every
 * field it writes is a Harness field, so a PW2007 (unknown field) on generated text means
 * pipewright does not know a Harness field.
 *
 * Constructs pipewright does not read although Harness does are kept behind KNOWN_GAPS,
 * off by default (so the corpus test passes); turn one on with `{gaps: {name: true}}` or
 * PIPEWRIGHT_CORPUS_GEN_GAPS=name,name to reproduce it.
 *
 * This file is the public entry; the generator is split by concept: gen.ts (per-pipeline
 * state and random draws), prng.ts, model.ts (scope model), vocabulary.ts, pipeline.ts,
 * stages.ts, ci-stage.ts, step-tree.ts (parallel blocks, step groups), steps.ts,
 * step-specs.ts, step-commands.ts, strategies.ts, failure-strategies.ts, conditions.ts,
 * expressions.ts, variables.ts, inputs.ts (durations, runtime inputs) and types.ts (options,
 * results and KNOWN_GAPS).
 */
import { Gen } from './gen.js';
import { pipeline } from './pipeline.js';
import { mulberry32, pipelineSeed } from './prng.js';
import { KNOWN_GAPS, type GenOptions, type Generated } from './types.js';

export { mulberry32, pipelineSeed } from './prng.js';
export { GAP_NAMES, KNOWN_GAPS, type GapName, type GenOptions, type Generated } from './types.js';

/** Pipeline `index` of the corpus seeded `seed`. */
export function generatePipeline(seed: number, index: number, options: GenOptions = {}): Generated {
  return pipeline(new Gen(mulberry32(pipelineSeed(seed, index)), index, { ...KNOWN_GAPS, ...options.gaps }));
}

/** `n` pipelines of the corpus seeded `seed`. */
export function* generateCorpus(seed: number, n: number, options: GenOptions = {}): Generator<Generated & { index: number }> {
  for (let i = 0; i < n; i++) yield { ...generatePipeline(seed, i, options), index: i };
}
