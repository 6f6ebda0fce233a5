/**
 * Fuzzing: every run feeds at least 1,000 mutated fixture files to the compiler and asserts
 * it never throws and every diagnostic is well formed. The seed is printed; set
 * PIPEWRIGHT_FUZZ_SEED to replay a run.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compile, DirectorySource } from '../../compiler/index.js';
import { listFixtures, materialize, readFixture } from '../fixture-corpus.js';
import { tempDir } from '../helpers.js';

const SEED = Number(process.env['PIPEWRIGHT_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const CASES = Number(process.env['PIPEWRIGHT_FUZZ_CASES'] ?? 1000);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [':', '- ', '{', '}', '[', ']', '<+input>', '{{inputs.x}}', '{{#if}}', '*a', '&a ', '"', "'", '\t', 'null', '~', '<+', '>', '!!binary ', '---', '? ', '|', '>-', '<+steps.x.output.outputVariables.y>', 'template:', 'step:', 'parallel:', '1e999', '-1', '@', '`', '\u0000', '💥', 'type: Background', 'strategy: {parallelism: 300}', '<<: *a'];

export function mutate(text: string, r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  let lines = text.split('\n');
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * Math.max(1, lines.length));
    switch (Math.floor(r() * 9)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, lines[at] ?? '');
        break;
      case 2: {
        const b = Math.floor(r() * lines.length);
        [lines[at], lines[b]] = [lines[b] ?? '', lines[at] ?? ''];
        break;
      }
      case 3:
        lines[at] = (r() < 0.5 ? '  ' : '') + (lines[at] ?? '').replace(/^ {0,2}/, r() < 0.5 ? '' : ' ');
        break;
      case 4: {
        const l = lines[at] ?? '';
        const p = Math.floor(r() * (l.length + 1));
        lines[at] = l.slice(0, p) + pick(TOKENS) + l.slice(p);
        break;
      }
      case 5:
        lines[at] = (lines[at] ?? '').replace(/: .*$/, `: ${pick(['42', '[1, 2]', '{a: 1}', 'true', '""', '<+input>', '{{inputs.port}}', 'x'.repeat(300)])}`);
        break;
      case 6:
        lines = lines.slice(0, at);
        break;
      case 7: {
        const l = lines[at] ?? '';
        const p = Math.floor(r() * l.length);
        lines[at] = l.slice(0, p) + String.fromCharCode(32 + Math.floor(r() * 95)) + l.slice(p + 1);
        break;
      }
      default:
        lines[at] = (lines[at] ?? '').replace(/identifier: \w+/, `identifier: ${pick(['a', 'x y', '9', '<+stage.identifier>', 'steps'])}`);
    }
  }
  return lines.join('\n');
}

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
