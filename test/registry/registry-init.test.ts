/**
 * Commands that administer an existing registry refuse a database file that is not there (a
 * typo must not make a new, empty registry whose tokens the real one refuses); `registry init`
 * creates one (issue 16, point 9).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

describe('registry init and a missing database', () => {
  test.each([
    ['token create', ['registry', 'token', 'create', '--db', 'rgistry.db', '--name', 'ci', '--scope', 'read']],
    ['token list', ['registry', 'token', 'list', '--db', 'rgistry.db']],
    ['token revoke', ['registry', 'token', 'revoke', '--db', 'rgistry.db', '0123456789ab']],
  ])('%s on a missing file: exit 2, the way to create one, and no file made', async (_what, argv) => {
    const dir = tempDir();
    const r = await runCli(argv, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `no registry database at ${join(dir, 'rgistry.db')}; \`pipewright registry init --db rgistry.db\` creates one`,
    );
    expect(existsSync(join(dir, 'rgistry.db'))).toBe(false);
  });

  test('init creates the database; token commands then work; a second init changes nothing', async () => {
    const dir = tempDir();
    const init = await runCli(['registry', 'init', '--db', 'registry.db'], dir);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/^created a registry database at .*registry\.db \(schema version \d+\)\n$/);
    const created = await runCli(['registry', 'token', 'create', '--db', 'registry.db', '--name', 'ci', '--scope', 'read'], dir);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^pw_[0-9a-f]{12}_/);
    const again = await runCli(['registry', 'init', '--db', 'registry.db'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^registry\.db is already a registry database \(schema version \d+\); nothing changed\n$/);
    const listed = await runCli(['registry', 'token', 'list', '--db', 'registry.db'], dir);
    expect(listed.stdout).toContain('ci');
  });

  test('init refuses a file that is not a registry database, and a folder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.db'), 'not sqlite at all, just some text that is long enough to be read as a header');
    const r = await runCli(['registry', 'init', '--db', 'notes.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a registry database');
    mkdirSync(join(dir, 'folder'));
    const f = await runCli(['registry', 'token', 'list', '--db', 'folder'], dir);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('is a folder, not a registry database');
  });
});
