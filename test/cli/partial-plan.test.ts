/**
 * A plan compiled with --partial holds placeholders (open runtime inputs, missing templates):
 * it says so (`partial: true`), and `run` refuses it — a placeholder command such as
 * `echo target=<+input>` ran "successfully", and missing templates became skipped steps of a
 * green run with --skip-unsupported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { onePipeline, runCli, tempDir } from '../helpers.js';

describe('a partial plan', () => {
  test('is marked partial, and run refuses it (exit 2) whatever the flags', async () => {
    const dir = tempDir({
      'open.yaml': onePipeline(
        '              - step: {type: Run, name: r, identifier: r, spec: {command: echo target=$T, envVariables: {T: <+input>}}}\n',
      ),
      'inside.yaml': onePipeline('              - step: {type: Run, name: r, identifier: r, spec: {command: "echo target=<+input>"}}\n'),
      'missing.yaml': onePipeline(
        '              - step: {name: t, identifier: t, template: {templateRef: account.gone, versionLabel: "1"}}\n',
      ),
      'whole.yaml': onePipeline('              - step: {type: Run, name: r, identifier: r, spec: {command: echo ok}}\n'),
    });
    for (const f of ['open', 'missing']) {
      const c = await runCli(['compile', `${f}.yaml`, '--partial', '-o', `${f}.json`], dir);
      expect(c.code, c.stderr).toBe(0);
      expect((JSON.parse(readFileSync(join(dir, `${f}.json`), 'utf8')) as { partial?: boolean }).partial).toBe(true);
      const r = await runCli(['run', `${f}.json`, '--workspace', '.', '--home', 'h', '--skip-unsupported'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${f}\\.json was compiled with --partial: it holds placeholders`));
    }
    // Inside text, <+input> is no runtime input: filled by nothing, it would run as text.
    const inside = await runCli(['compile', 'inside.yaml'], dir);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/inside\.yaml:12:\d+: error PW3014 .*r\.spec\.command holds <\+input> inside text, which nothing fills/);
    expect((await runCli(['compile', 'inside.yaml', '--partial', '-o', 'inside.json'], dir)).code).toBe(0);
    expect((await runCli(['run', 'inside.json', '--workspace', '.', '--home', 'h'], dir)).code).toBe(2);
    // A --partial compile with nothing left open is a whole plan.
    expect((await runCli(['compile', 'whole.yaml', '--partial', '-o', 'whole.json'], dir)).code).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8')) as { partial?: boolean }).partial).toBeUndefined();
    expect((await runCli(['run', 'whole.json', '--workspace', '.', '--home', 'h'], dir)).code).toBe(0);
  }, 30_000);
});
