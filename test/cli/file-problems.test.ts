/**
 * `validate` and `compile` agree on every file-level problem (issue 13, point 9): a missing
 * file, an empty one, a folder, text that is not UTF-8, no known root — each an error with
 * the same code from both, exit 2, and `validate` never calls such a file valid or "empty".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

function files(): string {
  const dir = tempDir({ 'empty.yaml': '', 'comments.yaml': '# only a comment\n', 'noroot.yaml': 'foo: 1\n' });
  mkdirSync(join(dir, 'dir.yaml'));
  writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x70, 0x69, 0x70, 0x65, 0x6c, 0x69, 0x6e, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
  return dir;
}

const code = (out: string) => /error (PW\d{4})/.exec(out)?.[1];

describe('file-level problems', () => {
  test.each([
    ['missing.yaml', 'PW1006', /no such file/],
    ['empty.yaml', 'PW1004', /empty|no document/],
    ['comments.yaml', 'PW1004', /empty|no document/],
    ['dir.yaml', 'PW1006', /directory/],
    ['latin1.yaml', 'PW1006', /not UTF-8/],
    ['noroot.yaml', 'PW1004', /root/],
  ])('%s: validate and compile both say %s and exit 2', async (file, expected, message) => {
    const dir = files();
    const v = await runCli(['validate', file], dir);
    const c = await runCli(['compile', file], dir);
    expect(v.code, v.stdout + v.stderr).toBe(2);
    expect(c.code, c.stdout + c.stderr).toBe(2);
    expect(code(v.stdout + v.stderr)).toBe(expected);
    expect(code(c.stdout + c.stderr)).toBe(expected);
    expect(v.stdout + v.stderr).toMatch(message);
    expect(v.stdout).not.toMatch(new RegExp(`${file.replace('.', '\\.')}: (empty|unknown)$`, 'm'));
    expect(v.stdout).not.toMatch(/valid/);
  });
});

describe('a runtime input cut at a comma in flow style', () => {
  const pipeline = (value: string) =>
    `pipeline:\n  name: p\n  identifier: p\n  variables:\n    - {name: region, type: String, value: ${value}}\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {type: Run, name: r, identifier: r, spec: {shell: Sh, command: echo <+pipeline.variables.region>}}\n`;

  test('says to quote the value', async () => {
    const dir = tempDir({ 'p.yaml': pipeline('<+input>.allowedValues(eu,us)') });
    const r = await runCli(['compile', 'p.yaml', '--set', 'pipeline.variables.region=eu'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/p\.yaml:5:\d+: error PW3014 .*quote the whole value/);
  });

  test('quoted, as the README now writes it, it compiles', async () => {
    const dir = tempDir({ 'p.yaml': pipeline('"<+input>.allowedValues(eu,us)"') });
    const r = await runCli(['compile', 'p.yaml', '--set', 'pipeline.variables.region=eu'], dir);
    expect(r.code, r.stderr).toBe(0);
  });
});
