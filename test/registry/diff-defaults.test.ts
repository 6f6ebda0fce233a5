/**
 * `template diff` and the diff page say a removed default is removed and an added one added
 * (issue 16, point 10): before, `default changed dir "." → undefined`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stepTemplate } from './fixtures.js';
import { liveRegistries } from './live-registry.js';

const live = liveRegistries();

async function setup() {
  const { dir, reg, cli } = await live({ anonymousRead: true });
  const versions: [string, string][] = [
    ['1.0.0', '  inputs:\n    dir: {type: string, default: "."}\n'],
    ['1.1.0', '  inputs:\n    dir: {type: string}\n'],
    ['1.2.0', '  inputs:\n    dir: {type: string, default: src}\n'],
  ];
  for (const [v, inputs] of versions) {
    writeFileSync(join(dir, `${v}.yaml`), stepTemplate('a', v, { inputs, command: 'ls {{inputs.dir}}' }));
    expect((await cli('template', 'publish', `${v}.yaml`)).code).toBe(0);
  }
  return { reg, cli };
}

describe('a default removed or added', () => {
  test('the CLI says removed and added, never undefined', async () => {
    const { cli } = await setup();
    const removed = await cli('template', 'diff', 'account.a', '1.0.0', '1.1.0');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('default changed dir default "." removed');
    expect(removed.stdout).toContain('now required dir');
    expect(removed.stdout).not.toContain('undefined');
    const added = await cli('template', 'diff', 'account.a', '1.1.0', '1.2.0');
    expect(added.stdout).toContain('default changed dir default "src" added');
    expect(added.stdout).not.toContain('undefined');
  });

  test('the diff page too', async () => {
    const { reg } = await setup();
    const page = await (await fetch(`${reg.url}/templates/account.a/diff?from=1.0.0&to=1.1.0`)).text();
    expect(page).toMatch(/Default changed: <code>dir<\/code> default &quot;.&quot; removed/);
    expect(page).not.toContain('undefined');
  });
});
