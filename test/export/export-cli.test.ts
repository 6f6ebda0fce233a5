/**
 * `pipewright export --target argo` from the command line: the example pipeline exports to a
 * Workflow (and a WorkflowTemplate) that validates against both Argo schemas, the same bytes
 * every time, from the pipeline or from its plan file; what cannot be exported is exit 2 with
 * located errors and nothing on stdout.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { REPO, runCli, tempDir } from '../helpers.js';
import { expectValidArgo } from '../support/argo-schemas.js';

function project(): string {
  const dir = tempDir();
  cpSync(join(REPO, 'examples'), join(dir, 'examples'), { recursive: true });
  return dir;
}

const args = ['examples/pipeline.yaml', '--target', 'argo', '-t', 'examples/templates', '--image-default', 'node:20-slim'];

describe('pipewright export --target argo', () => {
  test('the example pipeline: a Workflow that validates against both schemas; a background service as a daemon', async () => {
    const dir = project();
    const r = await runCli(['export', ...args, '--namespace', 'ci', '--service-account', 'runner'], dir);
    expect(r.code).toBe(0);
    const wf = parse(r.stdout) as {
      kind: string;
      metadata: Record<string, unknown>;
      spec: { serviceAccountName: string; templates: Record<string, unknown>[] };
    };
    expectValidArgo(wf);
    expect(wf.kind).toBe('Workflow');
    expect(wf.metadata).toMatchObject({ generateName: 'demo-', namespace: 'ci' });
    expect(wf.spec.serviceAccountName).toBe('runner');
    expect(wf.spec.templates.find((t) => t['name'] === 'step-integration-service')).toMatchObject({ daemon: true });
    // The example's smoke step calls the service through 127.0.0.1: said, with its location.
    expect(r.stderr).toMatch(
      /^examples\/pipeline\.yaml:56:19: warning PW7002 integration\.smoke\.call reaches a service through localhost/m,
    );
  });

  test('the example pipeline equals the workflow written by hand in test/fixtures/export/example.argo.yaml, field by field', async () => {
    const dir = project();
    const r = await runCli(['export', ...args], dir);
    expect(r.code).toBe(0);
    const plan = await runCli(['compile', 'examples/pipeline.yaml', '-t', 'examples/templates'], dir);
    const digest = (JSON.parse(plan.stdout) as { digest: string }).digest;
    const expected = parse(
      readFileSync(join(REPO, 'test', 'fixtures', 'export', 'example.argo.yaml'), 'utf8').replace('PLAN_DIGEST', digest),
    ) as {
      spec: { templates: { name: string }[] };
    };
    const actual = parse(r.stdout) as typeof expected;
    // Template by template, so a difference names its template.
    expect(actual.spec.templates.map((t) => t.name)).toEqual(expected.spec.templates.map((t) => t.name));
    for (const [i, t] of expected.spec.templates.entries()) expect(actual.spec.templates[i], t.name).toEqual(t);
    expect(actual).toEqual(expected);
  });

  test('the fixture the cluster test submits exports without --image-default and validates', async () => {
    const r = await runCli(['export', join('test', 'fixtures', 'export', 'cluster-smoke.yaml'), '--target', 'argo'], REPO);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expectValidArgo(parse(r.stdout));
  });

  test('deterministic: the same pipeline gives the same bytes; its plan file gives them too; -o writes them', async () => {
    const dir = project();
    const one = await runCli(['export', ...args], dir);
    const two = await runCli(['export', ...args], dir);
    expect(one.stdout).toBe(two.stdout);
    expect((await runCli(['compile', 'examples/pipeline.yaml', '-t', 'examples/templates', '-o', 'plan.json'], dir)).code).toBe(0);
    const fromPlan = await runCli(['export', 'plan.json', '--target', 'argo', '--image-default', 'node:20-slim', '-o', 'wf.yaml'], dir);
    expect(fromPlan.code).toBe(0);
    expect(readFileSync(join(dir, 'wf.yaml'), 'utf8')).toBe(one.stdout);
  });

  test('--kind WorkflowTemplate: named from --generate-name, valid against both schemas', async () => {
    const r = await runCli(['export', ...args, '--kind', 'WorkflowTemplate', '--generate-name', 'demo-ci-'], project());
    expect(r.code).toBe(0);
    const t = parse(r.stdout) as { kind: string; metadata: { name: string } };
    expectValidArgo(t);
    expect(t.kind).toBe('WorkflowTemplate');
    expect(t.metadata.name).toBe('demo-ci');
  });

  test('what cannot be exported is exit 2 with located errors and nothing on stdout', async () => {
    const dir = project();
    const noImage = await runCli(['export', 'examples/pipeline.yaml', '--target', 'argo', '-t', 'examples/templates'], dir);
    expect(noImage.code).toBe(2);
    expect(noImage.stdout).toBe('');
    expect(noImage.stderr).toMatch(/^examples\/pipeline\.yaml:18:19: error PW7001 steps without an image need --image-default IMAGE/m);
    const target = await runCli(['export', 'examples/pipeline.yaml', '--target', 'tekton'], dir);
    expect(target.code).toBe(2);
    expect(target.stderr).toContain('--target must be argo, not tekton');
  });
});
