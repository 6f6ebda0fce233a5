/**
 * Conformance with real Harness v0 files: every file of ../shared/corpus/harness-v0
 * validates, every pipeline compiles with --partial, and with each input set written for
 * it, compiles fully. Skipped only when the corpus folder is absent outside CI.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { compile, validateFiles } from '../compiler/index.js';
import { REPO } from './helpers.js';

const CORPUS = join(REPO, '..', 'shared', 'corpus', 'harness-v0');
const present = existsSync(CORPUS);
if (!present && process.env['CI'] === 'true') throw new Error(`conformance corpus missing at ${CORPUS}`);
const files = present
  ? readdirSync(CORPUS)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
  : [];
const docsOf = (f: string) => parseAllDocuments(readFileSync(join(CORPUS, f), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
const kinds = new Map(files.map((f) => [f, docsOf(f).flatMap((d) => Object.keys(d ?? {}))]));
const pipelines = files.filter((f) => kinds.get(f)!.includes('pipeline'));
const inputSets = files.filter((f) => kinds.get(f)!.includes('inputSet'));

describe.skipIf(!present)('Harness v0 corpus', () => {
  test('the corpus is there and holds pipelines and input sets', () => {
    expect(pipelines.length).toBeGreaterThanOrEqual(20);
    expect(inputSets.length).toBeGreaterThanOrEqual(1);
  });

  test.each(files)('validates: %s', async (f) => {
    const r = await validateFiles([join(CORPUS, f)], { baseDir: CORPUS });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test.each(pipelines)('compiles with --partial: %s', async (f) => {
    const r = await compile({ file: join(CORPUS, f), baseDir: CORPUS, partial: true });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.plans.length).toBeGreaterThan(0);
    expect(r.plans.every((p) => p.steps.length > 0)).toBe(true);
  });

  test.each(inputSets)('input set %s fills its pipeline completely', async (f) => {
    const target = (parse(readFileSync(join(CORPUS, f), 'utf8')) as { inputSet: { pipeline: { identifier: string } } }).inputSet.pipeline
      .identifier;
    const owners = pipelines.filter((p) =>
      docsOf(p).some((d) => (d['pipeline'] as { identifier?: string } | undefined)?.identifier === target),
    );
    expect(owners.length).toBeGreaterThan(0);
    for (const p of owners) {
      const r = await compile({ file: join(CORPUS, p), baseDir: CORPUS, inputs: [{ file: join(CORPUS, f) }] });
      expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });
});
