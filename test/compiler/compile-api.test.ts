import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunStep } from '../../schemas/index.js';
import { describe, expect, test } from 'vitest';
import { compile, DirectorySource, formatPlan } from '../../compiler/index.js';

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-api-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A one-stage pipeline whose only step list element is `element`. */
const pipelineWith = (id: string, element: string) => `pipeline:
  name: ${id}
  identifier: ${id}
  stages:
    - stage:
        name: s
        identifier: s
        type: CI
        spec:
          execution:
            steps:
              - ${element}
`;

const pipeline = (id: string, cmd = 'echo hi') => pipelineWith(id, `step: {type: Run, name: a, identifier: a, spec: {command: ${cmd}}}`);

describe('compile API', () => {
  test('output is byte-identical across compiles and independent of key order in the source', async () => {
    const dir = tmp({ 'a.yaml': pipeline('p'), 'b.yaml': pipeline('p').replace('name: p\n  identifier: p', 'identifier: p\n  name: p') });
    const a = await compile({ file: join(dir, 'a.yaml'), baseDir: dir });
    const a2 = await compile({ file: join(dir, 'a.yaml'), baseDir: dir });
    expect(formatPlan(a.plan!)).toBe(formatPlan(a2.plan!));
    expect(a.plan!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const b = await compile({ file: join(dir, 'b.yaml'), baseDir: dir });
    // Only origin lines differ (the keys moved), so digests differ but structure is equal.
    expect((b.plan!.steps[0] as RunStep).command).toBe((a.plan!.steps[0] as RunStep).command);
  });

  test('several pipelines in one file give one plan each', async () => {
    const dir = tmp({ 'm.yaml': pipeline('one') + '---\n' + pipeline('two') });
    const r = await compile({ file: join(dir, 'm.yaml'), baseDir: dir });
    expect(r.ok).toBe(true);
    expect(r.plans.map((p) => p.pipeline.identifier)).toEqual(['one', 'two']);
    const broken = await compile({
      file: join(dir, 'm.yaml'),
      baseDir: dir,
      text: pipeline('one') + '---\n' + pipeline('two', '<+pipeline.variables.nope>'),
    });
    expect(broken.diagnostics[0]!.message).toMatch(/\(document 2, pipeline two\)$/);
  });

  test('a missing file, a folder and an oversized file are located diagnostics', async () => {
    const dir = tmp({ 'big.yaml': pipeline('p') + '#' + 'x'.repeat(6 * 1024 * 1024) + '\n' });
    expect((await compile({ file: join(dir, 'nope.yaml'), baseDir: dir })).diagnostics[0]).toMatchObject({
      code: 'PW1006',
      file: 'nope.yaml',
    });
    expect((await compile({ file: dir, baseDir: dir })).diagnostics[0]?.code).toBe('PW1006');
    const big = await compile({ file: join(dir, 'big.yaml'), baseDir: dir });
    expect(big.diagnostics[0]).toMatchObject({ code: 'PW1002', line: 1, column: 1 });
    expect((await compile({ file: join(dir, 'big.yaml'), baseDir: dir, maxBytes: 20 * 1024 * 1024 })).ok).toBe(true);
  });

  test('two different files claiming one template version are PW4007', async () => {
    const t = (cmd: string) =>
      `template:\n  name: t\n  identifier: t\n  versionLabel: 1.0.0\n  type: Step\n  spec: {type: Run, spec: {command: ${cmd}}}\n`;
    const dir = tmp({ 'x/t1.yaml': t('a'), 'y/t2.yaml': t('b'), 'x/t-same.yaml': t('a') });
    const src = new DirectorySource([join(dir, 'x'), join(dir, 'y')], { baseDir: dir });
    const [out] = await src.resolve([{ ref: 'account.t', selector: '1.0.0' }]);
    expect(out).toMatchObject({ ok: true });
    expect(src.loadDiagnostics.map((d) => [d.code, d.file])).toEqual([['PW4007', 'y/t2.yaml']]);
  });

  test('no template source: a clear PW4001', async () => {
    const dir = tmp({
      'p.yaml': pipeline('p').replace(
        '- step: {type: Run, name: a, identifier: a, spec: {command: echo hi}}',
        '- step: {name: a, identifier: a, template: {templateRef: account.x}}',
      ),
    });
    const r = await compile({ file: join(dir, 'p.yaml'), baseDir: dir });
    expect(r.diagnostics[0]).toMatchObject({ code: 'PW4001', line: 12 });
    expect(r.diagnostics[0]!.message).toMatch(/--templates/);
  });

  test('diagnostics are capped', async () => {
    const steps = Array.from({ length: 400 }, (_, i) => `              - step: {type: Bogus${i}, name: a${i}, identifier: a${i}}`).join(
      '\n',
    );
    const dir = tmp({ 'p.yaml': pipeline('p').replace(/ {14}- step:.*\n/, steps + '\n') });
    const r = await compile({ file: join(dir, 'p.yaml'), baseDir: dir });
    expect(r.diagnostics.length).toBeLessThanOrEqual(201);
    expect(r.diagnostics.at(-1)!.message).toMatch(/more diagnostics not shown/);
  });
  describe('rendered template bodies are reused across compiles only when that is invisible', () => {
    const template = `template:
  name: t
  identifier: t
  versionLabel: 1.0.0
  type: StepGroup
  inputs:
    level: {type: string, default: info}
    extra: {type: steps, default: []}
  spec:
    steps:
      - step: {type: Run, name: a, identifier: a, spec: {command: "run --level {{inputs.level}}"}}
      - "{{inputs.extra}}"
`;
    const user = (id: string, inputs: string, pad = '') =>
      pad + pipelineWith(id, `stepGroup: {name: g, identifier: g, template: {templateRef: account.t, versionLabel: 1.0.0${inputs}}}`);
    const setup = () => {
      const dir = tmp({ 'templates/t.yaml': template });
      return { dir, source: new DirectorySource([join(dir, 'templates')]) };
    };

    test('the same inputs give the same plan; other inputs another', async () => {
      const { dir, source } = setup();
      const run = (inputs: string) => compile({ file: join(dir, 'p.yaml'), text: user('p', inputs), baseDir: dir, sources: [source] });
      const first = formatPlan((await run('')).plan!);
      expect(formatPlan((await run('')).plan!)).toBe(first);
      const warn = (await run(', inputs: {level: warn}')).plan!;
      expect((warn.steps[0] as RunStep).command).toBe('run --level warn');
      expect(((await run('')).plan!.steps[0] as RunStep).command).toBe('run --level info');
    });

    test('injected steps keep the provenance of the pipeline that wrote them', async () => {
      const { dir, source } = setup();
      const inputs = ', inputs: {extra: [{step: {type: Run, name: mine, identifier: mine, spec: {command: echo mine}}}]}';
      const a = await compile({ file: join(dir, 'a.yaml'), text: user('a', inputs), baseDir: dir, sources: [source] });
      const b = await compile({ file: join(dir, 'b.yaml'), text: user('b', inputs, '# b\n# b\n'), baseDir: dir, sources: [source] });
      const mine = (r: typeof a) => r.plan!.steps.find((x) => x.id === 's.g.mine')!.origin;
      expect(mine(a)).toMatchObject({ file: 'a.yaml', line: 12, templates: [] });
      expect(mine(b)).toMatchObject({ file: 'b.yaml', line: 14, templates: [] });
    });

    test('a body that failed to render is never reused: every compile reports it', async () => {
      // Without a steps input (injected values are never reused anyway).
      const dir = tmp({
        'templates/t.yaml': template
          .replace('{{inputs.level}}', '{{inputs.nope}}')
          .replace(/ {4}extra: .*\n/, '')
          .replace(/ {6}- "\{\{inputs.extra\}\}"\n/, ''),
      });
      const source = new DirectorySource([join(dir, 'templates')]);
      const twice = user('p', '')
        .replace(/( {14}- stepGroup: .*\n)/, '$1$1'.replace(/identifier: g/g, 'identifier: g'))
        .replace('identifier: g, template', 'identifier: g2, template');
      const first = await compile({ file: join(dir, 'p.yaml'), text: twice, baseDir: dir, sources: [source] });
      expect(first.diagnostics.map((d) => d.code)).toContain('PW3007');
      const again = await compile({ file: join(dir, 'q.yaml'), text: user('q', ''), baseDir: dir, sources: [source] });
      expect(again.ok).toBe(false);
      expect(again.diagnostics.map((d) => d.code)).toContain('PW3007');
    });
  });
});
