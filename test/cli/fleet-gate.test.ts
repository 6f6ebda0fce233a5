/**
 * Finding the fleet, as a CI gate needs it (issue 13, points 3 and 4): pipelines in hidden
 * folders such as `.harness/` are audited (never `.git`, `node_modules`, `.pipewright`),
 * `--exclude GLOB` leaves paths out, a path that does not exist is exit 2, and an audit that
 * found no pipeline is exit 2 unless `--allow-empty`.
 */
import { describe, expect, test } from 'vitest';
import { onePipeline, runCli, tempDir } from '../helpers.js';

const POLICY =
  'policy:\n  name: p\n  rules:\n    - id: readiness\n      match: {kind: [background, service]}\n      require: {readiness: true}\n';
const PIPE = onePipeline('              - step: {type: Run, name: r, identifier: r, spec: {shell: Sh, command: echo hi}}\n');

function fleet(): string {
  return tempDir({
    'policy.yaml': POLICY,
    '.harness/build.yaml': PIPE,
    'svc/.harness/deploy.yaml': PIPE,
    '.git/hooks/old.yaml': PIPE,
    'node_modules/pkg/ci.yaml': PIPE,
    '.pipewright/runs/x/plan.yaml': PIPE,
    'vendor/third/ci.yaml': PIPE,
  });
}

const summary = (out: string) => /(\d+) pipelines in (\d+) files/.exec(out)?.slice(1).map(Number);

describe('audit finds the fleet', () => {
  test('hidden folders such as .harness are searched; .git, node_modules and .pipewright are not', async () => {
    const r = await runCli(['audit', '.', '--policy', 'policy.yaml', '--format', 'json'], fleet());
    expect(r.code, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { results: { file: string }[] }).results.map((p) => p.file).sort();
    expect(files).toEqual(['.harness/build.yaml', 'svc/.harness/deploy.yaml', 'vendor/third/ci.yaml']);
  });

  test('--exclude leaves out paths matching a glob (repeatable; a name without / matches at any depth)', async () => {
    const dir = fleet();
    const one = await runCli(['audit', '.', '--policy', 'policy.yaml', '--exclude', 'vendor', '--format', 'table'], dir);
    expect(summary(one.stdout)).toEqual([2, 2]);
    const two = await runCli(
      ['audit', '.', '--policy', 'policy.yaml', '--exclude', 'vendor/**', '--exclude', 'svc/*/deploy.yaml', '--format', 'table'],
      dir,
    );
    expect(summary(two.stdout)).toEqual([1, 1]);
  });

  test('a path that does not exist is exit 2, naming it', async () => {
    const r = await runCli(['audit', 'nope/', '--policy', 'policy.yaml'], fleet());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\/?: no such file or folder/);
  });

  test('an audit that found no pipeline is exit 2, unless --allow-empty', async () => {
    const dir = tempDir({ 'policy.yaml': POLICY, 'docs/readme.yaml': 'a: 1\n' });
    const r = await runCli(['audit', 'docs', '--policy', 'policy.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no pipeline found/);
    expect((await runCli(['audit', 'docs', '--policy', 'policy.yaml', '--allow-empty'], dir)).code).toBe(0);
  });
});

describe('impact finds the same fleet', () => {
  test('a path that does not exist is exit 2', async () => {
    const dir = tempDir({
      'c.yaml':
        'template:\n  name: t\n  identifier: t\n  versionLabel: "1.0.0"\n  type: Step\n  spec:\n    type: Run\n    spec: {shell: Sh, command: echo}\n',
    });
    const r = await runCli(['impact', 'account.t', 'nope', '--candidate', 'c.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope: no such file or folder/);
  });
});

describe('--templates folders', () => {
  test.each([
    ['compile', ['compile', 'p.yaml', '-t', 'nope']],
    ['audit', ['audit', '.', '--policy', 'policy.yaml', '-t', 'nope']],
    ['lock', ['lock', 'p.yaml', '-t', 'nope']],
  ])('%s with a --templates folder that does not exist is exit 2 at once, naming it', async (_what, argv) => {
    const dir = tempDir({ 'p.yaml': PIPE, 'policy.yaml': POLICY, 'file.yaml': 'a: 1\n' });
    const r = await runCli(argv, dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--templates nope: no such folder/);
    const notDir = await runCli(
      argv.map((a) => (a === 'nope' ? 'file.yaml' : a)),
      dir,
    );
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toMatch(/--templates file\.yaml: not a folder/);
  });
});
