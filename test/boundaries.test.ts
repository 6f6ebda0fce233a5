/**
 * The boundaries between pipewright's parts (`.dependency-cruiser.cjs`), checked in `npm test`:
 * dependency-cruiser, through its JavaScript API, over every folder of TypeScript sources, with
 * the repository's own configuration. Any violation fails the test and is listed — rule, from →
 * to, and the whole loop for a cycle — so the message says which import to change. `npm run
 * deps` gives the same answer on the command line.
 */
import { join } from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, test } from 'vitest';
import { REPO } from './helpers.js';

/** The folders `npm run deps` cruises. */
const FOLDERS = ['compiler', 'runtime', 'registry', 'audit', 'cli', 'schemas', 'bench', 'test'];

/** One line per violation: `rule: from → to`, a cycle as its whole loop. */
function describeViolation(v: IViolation): string {
  const path = v.cycle?.length ? [v.from, ...v.cycle.map((d) => d.name)] : [v.from, v.to];
  return `${v.rule.severity} ${v.rule.name}: ${path.join(' → ')}`;
}

async function cruiseRepository(): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(join(REPO, '.dependency-cruiser.cjs'));
  const tsConfigFile = options.tsConfig?.fileName;
  const tsConfig = tsConfigFile ? extractTSConfig(join(REPO, tsConfigFile)) : undefined;
  // The rules' paths are relative to the repository, wherever vitest runs from.
  const result = await cruise(FOLDERS, { ...options, baseDir: REPO }, {}, tsConfig ? { tsConfig } : {});
  if (typeof result.output === 'string') throw new Error(`dependency-cruiser answered text, not a result: ${result.output}`);
  return result.output;
}

describe('boundaries between the parts', () => {
  test('dependency-cruiser finds no violation of .dependency-cruiser.cjs', async () => {
    const result = await cruiseRepository();
    // A cruise that found nothing would pass vacuously: every part must have been read.
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    const violations = result.summary.violations.map(describeViolation);
    expect(violations, `${violations.length} dependency violations:\n${violations.join('\n')}\n`).toEqual([]);
  }, 60_000);
});
