import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { Plan } from '../../schemas/index.js';
import { REPO, runCli, tempDir } from '../helpers.js';
import type { CompileJson, ValidateJson } from '../support/cli-json.js';

const examples = join(REPO, 'examples');

describe('pipewright compile', () => {
  test('prints the plan as canonical JSON on stdout, exit 0', async () => {
    const r = await runCli(['compile', 'examples/pipeline.yaml', '--templates', 'examples/templates'], REPO);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(plan.kind).toBe('Plan');
    expect(plan.steps.map((s) => s.id)).toContain('integration.smoke.show');
    expect(plan.templates.map((t) => t.ref)).toEqual(['account.node_http_service', 'account.smoke_checks']);
  });

  test('-o writes a file, --format yaml gives the same data', async () => {
    const dir = tempDir();
    const r = await runCli(
      ['compile', join(examples, 'pipeline.yaml'), '-t', join(examples, 'templates'), '-o', join(dir, 'plan.json')],
      REPO,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*plan\.json \(6 steps, sha256:/);
    const y = await runCli(['compile', 'examples/pipeline.yaml', '-t', 'examples/templates', '--format', 'yaml'], REPO);
    expect(parse(y.stdout)).toEqual(JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')));
  });

  test('--explain prints the tree with kinds, needs and template chains', async () => {
    const r = await runCli(['compile', 'examples/pipeline.yaml', '-t', 'examples/templates', '--explain'], REPO);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stage integration \[CI, host\] {2}after build/);
    expect(r.stdout).toMatch(/service {2}background {2}ready http/);
    expect(r.stdout).toMatch(/from account\.smoke_checks@1\.0\.0/);
  });

  test('bad input: located diagnostics on stderr, exit 2, no stack trace', async () => {
    const dir = tempDir({
      'p.yaml':
        'pipeline:\n  identifier: p\n  stages:\n    - stage: {identifier: s, type: CI, spec: {execution: {steps: [{step: {identifier: a-b, type: Run, spec: {command: x}}}]}}}\n',
    });
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^p\.yaml:4:\d+: error PW2004 /m);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.stdout).toBe('');
  });

  test('--json gives one machine-readable document, also on failure', async () => {
    const dir = tempDir({ 'p.yaml': 'pipeline: [\n' });
    const r = await runCli(['compile', 'p.yaml', '--json'], dir);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as CompileJson;
    expect(out.ok).toBe(false);
    expect(out.diagnostics[0]).toMatchObject({ code: 'PW1001', file: 'p.yaml' });
  });

  test('usage errors exit 2', async () => {
    expect((await runCli(['compile'], REPO)).code).toBe(2);
    expect((await runCli(['compile', 'x.yaml', '--bogus'], REPO)).code).toBe(2);
    expect((await runCli(['nosuchcommand'], REPO)).code).toBe(2);
    expect((await runCli(['compile', 'examples/pipeline.yaml', '--format', 'xml'], REPO)).code).toBe(2);
  });
});

describe('pipewright validate', () => {
  test('pipelines, templates and input sets validate; problems exit 2', async () => {
    const ok = await runCli(['validate', 'examples/pipeline.yaml', 'examples/templates/smoke-checks-1.0.0.yaml'], REPO);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/examples\/pipeline\.yaml: pipeline/);
    expect(ok.stdout).toMatch(/smoke-checks-1\.0\.0\.yaml: template/);
    const dir = tempDir({
      'bad.yaml': 'template:\n  name: x\n  identifier: 9x\n  versionLabel: 1\n  type: Step\n  spec: {type: Run, spec: {command: x}}\n',
      'other.yaml': 'foo: 1\n',
    });
    const bad = await runCli(['validate', 'bad.yaml', 'other.yaml', 'missing.yaml', '--json'], dir);
    expect(bad.code).toBe(2);
    const codes = (JSON.parse(bad.stdout) as ValidateJson).diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`);
    expect(codes).toEqual(['bad.yaml:3 PW2004', 'missing.yaml:1 PW1006', 'other.yaml:1 PW1004']);
  });
});

describe('the installed binary', () => {
  test('exit codes and output through a real process', () => {
    const bin = join(REPO, 'dist', 'cli', 'bin.js');
    const ok = spawnSync(process.execPath, [bin, 'compile', 'examples/pipeline.yaml', '-t', 'examples/templates', '--explain'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    const dir = tempDir({ 'p.yaml': 'pipeline:\n  identifier: p\n  stages: 3\n' });
    const bad = spawnSync(process.execPath, [bin, 'compile', 'p.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/p\.yaml:3:11: error PW2001/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe('0.1.0');
  });

  test('npm run demo publishes to a registry, compiles against it and runs the plan', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli', 'bin.js'), 'demo'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/published account\.node_http_service@1\.1\.0/);
    expect(r.stdout).toMatch(
      /compiled examples\/pipeline\.yaml against the registry in \d+ ms: 2 stages, 6 steps, 1 resolve round trip\(s\)/,
    );
    expect(r.stdout).toMatch(/pipewright: integration\.service ready after \d+ ms/);
    expect(r.stdout).toMatch(/^integration\.smoke\.show\s+success/m);
    expect(r.stdout).toMatch(/output variable answer = \{"greeting":"hello from the background service"\}/);
    expect(r.stdout).toMatch(/pipeline demo: success/);
  }, 30_000);
});
