import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { RunReport } from '../../runtime/index.js';
import { runCli, tempDir } from '../helpers.js';

const pipeline = (steps: string) =>
  `pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n${steps}`;

describe('pipewright run', () => {
  test('runs a pipeline, prints the summary table, writes the report; a plan file runs too', async () => {
    const dir = tempDir({
      'p.yaml': pipeline('              - step: {type: Run, name: a, identifier: a, spec: {command: echo hello from a}}\n'),
    });
    const r = await runCli(['run', 'p.yaml', '--home', '.pw', '--report', 'report.json'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[s\.a\] hello from a$/m);
    expect(r.stdout).toMatch(/^step\s+status\s+duration\s+exit$/m);
    expect(r.stdout).toMatch(/^s\.a\s+success\s+\d+ ms\s+0$/m);
    expect((JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport).status).toBe('success');
    expect((await runCli(['compile', 'p.yaml', '-o', 'plan.json'], dir)).code).toBe(0);
    const fromPlan = await runCli(['run', 'plan.json', '--home', '.pw', '--quiet'], dir);
    expect(fromPlan.code).toBe(0);
    expect(fromPlan.stdout).not.toMatch(/hello from a/);
  });

  test('a failing pipeline exits 1 and says why', async () => {
    const dir = tempDir({ 'p.yaml': pipeline('              - step: {type: Run, name: a, identifier: a, spec: {command: exit 3}}\n') });
    const r = await runCli(['run', 'p.yaml', '--home', '.pw'], dir);
    expect(r.code).toBe(1);
    // The reason is in the step's live stream (printed once); the end names its log.
    expect(r.stdout).toMatch(/^\[s\.a\] pipewright: exited with code 3$/m);
    expect(r.stderr).toMatch(/^s\.a failed \(log: .*s\.a\.log\)$/m);
    const quiet = await runCli(['run', 'p.yaml', '--home', '.pw', '--quiet'], dir);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toMatch(/^s\.a: exited with code 3$/m);
  });

  test('bad input is exit 2 before anything runs', async () => {
    const dir = tempDir({
      'bad.json': JSON.stringify({ apiVersion: 'pipewright.dev/v1', kind: 'Plan', steps: 'no' }),
      'img.yaml': pipeline(
        '              - step: {type: Run, name: a, identifier: a, spec: {image: alpine, command: "true"}}\n              - step: {type: Run, name: b, identifier: b, spec: {command: "touch ran"}}\n',
      ),
      'ext.yaml': pipeline('              - step: {type: GitClone, name: c, identifier: c, spec: {repoName: x}}\n'),
      'broken.yaml': pipeline('              - step: {type: Run, name: a, identifier: 9a, spec: {command: x}}\n'),
    });
    const badPlan = await runCli(['run', 'bad.json', '--home', '.pw'], dir);
    expect(badPlan.code).toBe(2);
    expect(badPlan.stderr).toMatch(/not a valid plan:\nbad\.json: error PW2001 plan/);
    const img = await runCli(['run', 'img.yaml', '--backend', 'host', '--home', '.pw'], dir);
    expect(img.code).toBe(2);
    expect(img.stderr).toMatch(/--backend host cannot run steps with an image: s\.a/);
    const ext = await runCli(['run', 'ext.yaml', '--home', '.pw'], dir);
    expect(ext.code).toBe(2);
    expect(ext.stderr).toMatch(/unsupported step types .*: s\.c \(GitClone\)/);
    const skipped = await runCli(['run', 'ext.yaml', '--home', '.pw', '--skip-unsupported'], dir);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/^s\.c\s+skipped/m);
    const broken = await runCli(['run', 'broken.yaml', '--home', '.pw'], dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+:\d+: error PW2004/);
    expect((await runCli(['run', 'broken.yaml', '--grace', 'soon'], dir)).code).toBe(2);
    expect((await runCli(['run', 'broken.yaml', '--backend', 'vm'], dir)).code).toBe(2);
  });

  test('--secrets-file (dotenv or YAML) feeds <+secrets.getValue()> and stays masked', async () => {
    const dir = tempDir({
      'p.yaml': pipeline(
        '              - step: {type: Run, name: a, identifier: a, spec: {command: "echo key=<+secrets.getValue(\\"k\\")>"}}\n',
      ),
      's.env': 'k="very-secret-1"\n',
      's.yaml': 'k: very-secret-2\n',
    });
    for (const [file, value] of [
      ['s.env', 'very-secret-1'],
      ['s.yaml', 'very-secret-2'],
    ]) {
      const r = await runCli(['run', 'p.yaml', '--home', '.pw', '--secrets-file', file!], dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\[s\.a\] key=\*{14}/);
      expect(r.stdout + r.stderr).not.toContain(value);
    }
    writeFileSync(join(dir, 'bad.yaml'), '- a\n- b\n');
    expect((await runCli(['run', 'p.yaml', '--secrets-file', 'bad.yaml'], dir)).code).toBe(2);
  });
});
