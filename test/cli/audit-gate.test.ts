/**
 * `audit` and `impact` as CI gates, after a user trial found ways they ended green by
 * mistake: a version past its sunset (an error for `compile`) was a warning, a malformed lock
 * was silently ignored, pipelines written with a BOM, a quoted root or in flow style were not
 * found, a file whose name could not be read was skipped, a folder named twice counted its
 * pipelines twice, `impact` over no pipeline passed, and an output file that cannot be
 * written was an "internal error" (exit 1, which a recipe tolerating findings let through).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { onePipeline, runCli, tempDir } from '../helpers.js';
import { closeRegistries, registryFolder, uses } from './registry-folder.js';

afterEach(closeRegistries);

const POLICY =
  'policy:\n  name: p\n  rules:\n    - id: pinned\n      scope: pipeline\n      severity: warning\n      require: {locked: true}\n';
const RUN = onePipeline('              - step: {type: Run, name: r, identifier: r, spec: {shell: Sh, command: echo hi}}\n');

interface Report {
  summary: { pipelines: number; files: number; failedToCompile: number };
  results: { file: string; ok: boolean; diagnostics: { code: string; severity: string; message: string; file: string }[] }[];
  inventory: { ref: string; versions: { version: string }[] }[];
}

describe('audit applies the rules compile applies', () => {
  test('a version past its sunset fails the audit as it fails compile (PW4010), and stays in the inventory', async () => {
    const f = await registryFolder({ 'a.yaml': uses('a'), 'policy.yaml': POLICY });
    expect((await f.cli('lock', '.')).code).toBe(0);
    expect((await f.cli('template', 'deprecate', 'account.a@1.0.0', '--message', 'gone', '--sunset', '2020-01-01')).code).toBe(0);
    const r = await f.cli('audit', '.', '--policy', 'policy.yaml', '--format', 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.summary.failedToCompile).toBe(1);
    const d = report.results[0]!.diagnostics.find((x) => x.code === 'PW4010');
    expect(d).toMatchObject({ severity: 'error', file: 'a.yaml' });
    expect(d!.message).toMatch(/^account\.a@1\.0\.0 is past its sunset date 2020-01-01: gone$/);
    expect(report.inventory.find((i) => i.ref === 'account.a')!.versions.map((v) => v.version)).toEqual(['1.0.0']);
    const junit = await f.cli('audit', '.', '--policy', 'policy.yaml', '--format', 'junit');
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(/<error [^>]*PW4010/);
  });

  test('a malformed lock beside a pipeline fails that pipeline, naming the lock', async () => {
    const f = await registryFolder({ 'a.yaml': uses('a'), 'policy.yaml': POLICY });
    expect((await f.cli('lock', '.')).code).toBe(0);
    writeFileSync(join(f.dir, 'pipewright.lock'), '{"lockfileVersion": 1, "templates": {');
    const r = await f.cli('audit', '.', '--policy', 'policy.yaml', '--format', 'json');
    expect(r.code).toBe(1);
    const result = (JSON.parse(r.stdout) as Report).results[0]!;
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]).toMatchObject({ code: 'PW4008', severity: 'error', file: 'pipewright.lock' });
    expect(result.diagnostics[0]!.message).toMatch(/not valid JSON/);
  });
});

describe('audit --frozen-lockfile', () => {
  test('compiles each pipeline only from its lock: an unlocked reference or a missing lock fails that pipeline', async () => {
    const f = await registryFolder({ 'a.yaml': uses('a'), 'policy.yaml': POLICY, 'other/b.yaml': uses('b') });
    expect((await f.cli('lock', '.')).code).toBe(0);
    expect((await f.cli('audit', '.', '--policy', 'policy.yaml', '--frozen-lockfile')).code).toBe(0);
    writeFileSync(join(f.dir, 'a.yaml'), uses('a', 'c'));
    mkdirSync(join(f.dir, 'new'));
    writeFileSync(join(f.dir, 'new/n.yaml'), uses('a'));
    const r = await f.cli('audit', '.', '--policy', 'policy.yaml', '--frozen-lockfile', '--format', 'json');
    expect(r.code).toBe(1);
    const results = (JSON.parse(r.stdout) as Report).results;
    const byFile = new Map(results.map((x) => [x.file, x]));
    expect(byFile.get('other/b.yaml')!.ok).toBe(true);
    expect(byFile.get('a.yaml')!.diagnostics[0]!.message).toMatch(/account\.c@\^1 is not in pipewright\.lock \(--frozen-lockfile\)/);
    expect(byFile.get('new/n.yaml')!.diagnostics[0]).toMatchObject({ code: 'PW4008', file: 'new/pipewright.lock' });
    // Without the flag, the same fleet compiles online (and the policy decides about locks).
    expect((await f.cli('audit', '.', '--policy', 'policy.yaml')).code).toBe(0);
  });
});

describe('audit finds every pipeline compile would read', () => {
  test('a BOM, a quoted root key and flow style are pipelines too', async () => {
    const dir = tempDir({
      'policy.yaml': POLICY,
      'plain.yaml': RUN,
      'bom.yaml': '\uFEFF' + RUN,
      'quoted.yaml': RUN.replace(/^pipeline:/, '"pipeline":'),
      'flow.yaml':
        '{pipeline: {name: t, identifier: t, stages: [{stage: {name: s, identifier: s, type: CI, spec: {execution: {steps: [{step: {type: Run, name: r, identifier: r, spec: {command: echo}}}]}}}}]}}\n',
      'json.yaml': JSON.stringify({ pipeline: { name: 't', identifier: 't', stages: [] } }),
      'notes.yaml': 'title: pipeline: not one\n',
    });
    const r = await runCli(['audit', '.', '--policy', 'policy.yaml', '--format', 'json'], dir);
    const files = (JSON.parse(r.stdout) as Report).results.map((x) => x.file).sort();
    expect(files).toEqual(['bom.yaml', 'flow.yaml', 'json.yaml', 'plain.yaml', 'quoted.yaml']);
  });

  test('a folder named twice, or a file inside a folder also named, is audited once; --exclude ./x works', async () => {
    const dir = tempDir({ 'policy.yaml': POLICY, '.harness/a.yaml': RUN, 'vendor/v.yaml': RUN });
    const r = await runCli(['audit', '.', '.harness', '.harness/a.yaml', '--policy', 'policy.yaml', '--format', 'json'], dir);
    expect((JSON.parse(r.stdout) as Report).results.map((x) => x.file)).toEqual(['.harness/a.yaml', 'vendor/v.yaml']);
    const ex = await runCli(['audit', '.', '--exclude', './vendor', '--policy', 'policy.yaml', '--format', 'json'], dir);
    expect((JSON.parse(ex.stdout) as Report).results.map((x) => x.file)).toEqual(['.harness/a.yaml']);
  });

  test('a YAML file that cannot be read (a name that is not UTF-8) is exit 2, naming it', async () => {
    const dir = tempDir({ 'policy.yaml': POLICY, 'good.yaml': RUN });
    writeFileSync(Buffer.concat([Buffer.from(join(dir, 'v')), Buffer.from([0xff]), Buffer.from('.yaml')]), RUN);
    const r = await runCli(['audit', '.', '--policy', 'policy.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/v.*\.yaml: (unreadable|cannot be read)/);
  });
});

describe('impact over no pipeline', () => {
  test('is exit 2 unless --allow-empty', async () => {
    const dir = tempDir({
      'c.yaml':
        'template:\n  name: t\n  identifier: t\n  versionLabel: "1.0.0"\n  type: Step\n  spec:\n    type: Run\n    spec: {shell: Sh, command: echo}\n',
    });
    mkdirSync(join(dir, 'empty'));
    const r = await runCli(['impact', 'account.t', 'empty', '--candidate', 'c.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no pipeline found under empty/);
    expect((await runCli(['impact', 'account.t', 'empty', '--candidate', 'c.yaml', '--allow-empty'], dir)).code).toBe(0);
  });
});

describe('an output file that cannot be written', () => {
  test.each([
    ['audit', ['audit', '.', '--policy', 'policy.yaml', '-o', 'missing/dir/r.json']],
    ['compile', ['compile', 'p.yaml', '-o', 'missing/dir/plan.json']],
  ])('%s -o into a missing folder is exit 2 with a clear message', async (_what, argv) => {
    const dir = tempDir({ 'policy.yaml': POLICY, 'p.yaml': RUN });
    const r = await runCli(argv, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\/dir\/\S+: cannot write: no such folder/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});
