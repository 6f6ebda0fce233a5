/**
 * The built CLI runs as a program from a clone (`npm run build`, which `npm test` runs first):
 * `dist/cli/bin.js` is executable, so CI recipes and users can call it without `node`.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REPO } from '../helpers.js';

test('dist/cli/bin.js is executable and answers --version', () => {
  const out = execFileSync(join(REPO, 'dist', 'cli', 'bin.js'), ['--version'], { encoding: 'utf8' });
  expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
