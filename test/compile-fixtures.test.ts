/**
 * Runs every case of the compile fixture corpus. `PIPEWRIGHT_UPDATE_FIXTURES=1 npm test`
 * rewrites the expectations (never under CI).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compile, DirectorySource } from '../compiler/index.js';
import { validator } from '../schemas/index.js';
import { listFixtures, materialize, readFixture, writeExpectation } from './fixture-corpus.js';

const UPDATE = process.env['PIPEWRIGHT_UPDATE_FIXTURES'] === '1' && process.env['CI'] !== 'true';

describe('compile fixtures', () => {
  const files = listFixtures();
  test('the corpus has at least 60 cases, 20 of them errors', () => {
    const cases = files.map(readFixture);
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(cases.filter((c) => c.expect.diagnostics?.some((d) => !d.includes(' W '))).length).toBeGreaterThanOrEqual(20);
  });

  test.each(files.map((f) => [readFixture(f).name, f]))('%s', async (_name, file) => {
    const c = readFixture(file);
    const dir = materialize(c);
    const templateDirs = (c.options.templates ?? ['templates']).map((d) => join(dir, d)).filter((d) => existsSync(d));
    const run = () =>
      compile({
        file: join(dir, 'pipeline.yaml'),
        baseDir: dir,
        sources: templateDirs.length ? [new DirectorySource(templateDirs, { baseDir: dir })] : [],
        inputs: (c.options.inputs ?? []).map((f) => ({ file: join(dir, f) })),
        sets: c.options.set ?? [],
        partial: !!c.options.partial,
        placeholders: !!c.options.partial,
      });
    const result = await run();
    const got = result.diagnostics
      .filter((d) => d.severity !== 'info')
      .map((d) => `${d.file}:${d.line}:${d.column} ${d.severity === 'warning' ? 'W ' : ''}${d.code}`);
    if (UPDATE) {
      writeExpectation(
        c,
        result.ok
          ? { ...(got.length ? { diagnostics: got } : {}), ...(result.plans.length > 1 ? { plans: result.plans } : { plan: result.plan }) }
          : { diagnostics: got },
      );
      return;
    }
    expect(got).toEqual(c.expect.diagnostics ?? []);
    if (c.expect.plans !== undefined) expect(result.plans).toEqual(c.expect.plans);
    if (c.expect.plan !== undefined) {
      expect(result.ok).toBe(true);
      expect(result.plan).toEqual(c.expect.plan);
      expect(validator('plan')(result.plan), JSON.stringify(validator('plan').errors)).toBe(true);
      // Determinism: a second compile gives the same bytes.
      const again = await run();
      expect(JSON.stringify(again.plan)).toBe(JSON.stringify(result.plan));
    } else if (c.expect.plans === undefined) {
      expect(result.ok).toBe(false);
    }
  });
});
