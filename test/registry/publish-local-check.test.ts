/**
 * `template publish` checks every file locally first (issue 16, point 3): a template-level
 * problem is located in the author's file (`bad.yaml:3:15`), never "'account.bad-id' is not a
 * template reference" from the registry with no line, and nothing is published when any
 * file has an error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stepTemplate } from './fixtures.js';
import { liveRegistries } from './live-registry.js';

const live = liveRegistries();

describe('template publish checks its files first', () => {
  test('a bad identifier is located in the file; the good file beside it is not published', async () => {
    const { dir, reg, cli } = await live();
    writeFileSync(join(dir, 'good.yaml'), stepTemplate('good', '1.0.0', {}));
    writeFileSync(join(dir, 'bad.yaml'), stepTemplate('good', '1.0.0', {}).replace('identifier: good', 'identifier: bad-id'));
    const r = await cli('template', 'publish', 'good.yaml', 'bad.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bad\.yaml:3:15: error PW2004 /m);
    expect(r.stderr).not.toContain('is not a template reference');
    expect(r.stdout).toMatch(/^not published\s+account\.good@1\.0\.0\s+good\.yaml\s+another file was refused: nothing is published$/m);
    expect(reg.store.listTemplates()).toEqual([]);
  });
});
