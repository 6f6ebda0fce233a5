/**
 * Fuzzing: every run feeds at least 1,000 mutated fixture files to the compiler and asserts
 * it never throws and every diagnostic is well formed. The seed is fixed (test/support/fuzz-seed.ts)
 * and printed; PIPEWRIGHT_FUZZ_SEED=N replays seed N, =random draws a new one.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fuzzSeed } from '../support/fuzz-seed.js';
import { compile, DirectorySource } from '../../compiler/index.js';
import { listFixtures, materialize, readFixture } from '../fixture-corpus.js';
import { tempDir } from '../helpers.js';
import { mutate, rng } from '../mutate.js';

const SEED = fuzzSeed();
const CASES = Number(process.env['PIPEWRIGHT_FUZZ_CASES'] ?? 1000);

describe('fuzz', () => {
  test(`at least ${CASES} mutated fixtures never make the compiler throw (seed ${SEED})`, async () => {
    const r = rng(SEED);
    const fixtures = listFixtures().map(readFixture);
    const dirs = fixtures.map((f) => materialize(f));
    let compiled = 0;
    let withErrors = 0;
    try {
      for (let i = 0; i < CASES; i++) {
        const k = Math.floor(r() * fixtures.length);
        const fx = fixtures[k]!;
        let dir = dirs[k]!;
        const templateFiles = [...fx.files.keys()].filter((f) => f.startsWith('templates/'));
        // One case in ten mutates a template file instead of the pipeline.
        if (templateFiles.length && r() < 0.1) {
          const files = Object.fromEntries(fx.files);
          const victim = templateFiles[Math.floor(r() * templateFiles.length)]!;
          files[victim] = mutate(files[victim]!, r);
          dir = tempDir(files, 'pw-fuzz-');
        }
        const text = dir === dirs[k] ? mutate(fx.files.get('pipeline.yaml')!, r) : fx.files.get('pipeline.yaml')!;
        let result;
        try {
          result = await compile({
            file: join(dir, 'pipeline.yaml'),
            text,
            baseDir: dir,
            sources: [new DirectorySource([join(dir, 'templates')], { baseDir: dir })],
            partial: r() < 0.3,
            sets: r() < 0.1 ? ['pipeline.variables.x=1', 'bad'] : [],
          });
        } catch (e) {
          throw new Error(`compile threw on case ${i} (seed ${SEED}, fixture ${fx.name}): ${(e as Error).stack}\n--- input ---\n${text}`);
        }
        compiled++;
        if (!result.ok) withErrors++;
        for (const d of result.diagnostics) {
          expect(d.code).toMatch(/^PW\d{4}$/);
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.column).toBeGreaterThanOrEqual(1);
          expect(typeof d.message).toBe('string');
        }
        if (result.ok) expect(result.plans.length).toBeGreaterThan(0);
        if (dir !== dirs[k]) rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
    expect(compiled).toBe(CASES);
    // The mutations must actually break things most of the time, or the test proves little.
    expect(withErrors).toBeGreaterThan(CASES / 4);
  }, 120_000);
});
