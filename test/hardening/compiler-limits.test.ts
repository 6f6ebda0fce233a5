/**
 * Size bombs: YAML aliases that expand a small document into a huge one (by nodes and by
 * bytes), templates and strategies that multiply a plan, and variables that multiply a
 * string. Each is refused quickly with a located diagnostic — through the compiler, and
 * through a registry publish over real HTTP (422, the server answering `/healthz` meanwhile).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { aliasBombAt } from '../../compiler/yaml/alias-prescan.js';
import { compile, DirectorySource } from '../../compiler/index.js';
import { onePipeline, tempDir } from '../helpers.js';
import type { ApiErrorBody } from '../support/api-json.js';
import { liveRegistry, publishWhileProbing, type LiveRegistry } from './live-registry.js';

/** Generous for a loaded CI machine; before the bounds these took from seconds to forever. */
const FAST_MS = 2000;

/** `count` aliases of one 100 KB scalar, as the values of a mapping under `key:` at `indent`. */
function aliasBomb(indent: string, key: string, count: number, bytes = 100_000): { anchor: string; uses: string } {
  const anchor = `&d "${'x'.repeat(bytes)}"`;
  let uses = `${indent}${key}:\n`;
  for (let i = 0; i < count; i++) uses += `${indent}  k${i}: *d\n`;
  return { anchor, uses };
}

/** Nine levels of ten aliases each: 10^9 nodes from a few hundred bytes. */
const LAUGHS = [
  'a: &a [x, x, x, x, x, x, x, x, x, x]',
  ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefghi'[i]}`).join(', ')}]`),
].join('\n    ');

const pipeline = (extra: string, steps = '              - step: {type: Run, name: r, identifier: r, spec: {command: echo hi}}') =>
  onePipeline(steps + '\n', extra);

async function compileFiles(files: Record<string, string>) {
  const dir = tempDir(files);
  const start = performance.now();
  const r = await compile({ file: join(dir, 'p.yaml'), baseDir: dir, sources: [new DirectorySource([dir], { baseDir: dir })] });
  return { ...r, ms: performance.now() - start };
}

const codes = (r: { diagnostics: { code: string }[] }) => [...new Set(r.diagnostics.map((d) => d.code))];

describe('YAML alias expansion', () => {
  test('an alias bomb by nodes is PW1003', async () => {
    const r = await compileFiles({ 'p.yaml': pipeline(`  properties:\n    ${LAUGHS}\n`) });
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(codes(r)).toEqual(['PW1003']);
  });

  test('an alias bomb by bytes (one 100 KB scalar aliased 1,500 times) is PW1008 at an alias', async () => {
    const bomb = aliasBomb('  ', 'tags', 1500);
    const text = pipeline(`  description: ${bomb.anchor}\n${bomb.uses}`);
    const r = await compileFiles({ 'p.yaml': text });
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(codes(r)).toEqual(['PW1008']);
    const d = r.diagnostics[0]!;
    expect(d.file).toBe('p.yaml');
    // Located at one of the aliases, not at line 1.
    expect(text.split('\n')[d.line - 1]!.slice(d.column - 1)).toBe('*d');
  });

  test('many documents of one file share one budget (PW1008)', async () => {
    const doc = (i: number) => `a${i}: &d "${'x'.repeat(1000)}"\nb${i}: [${Array(400).fill('*d').join(', ')}]\n`;
    const text = Array.from({ length: 60 }, (_, i) => doc(i)).join('---\n');
    const r = await compileFiles({ 'p.yaml': text });
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(codes(r)).toContain('PW1008');
  });

  test('a few aliases of a large scalar are fine', async () => {
    const bomb = aliasBomb('  ', 'tags', 3);
    const r = await compileFiles({ 'p.yaml': pipeline(`  description: ${bomb.anchor}\n${bomb.uses}`) });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test('ordinary anchors and merge keys still compile', async () => {
    const steps = Array.from({ length: 200 }, (_, i) => `              - step: {<<: *base, name: s${i}, identifier: s${i}}`).join('\n');
    const r = await compileFiles({
      'p.yaml': pipeline('  properties:\n    base: &base {type: Run, spec: {shell: Bash, command: "make test && make lint"}}\n', steps),
    });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.plan!.steps).toHaveLength(200);
  });
});

describe('plan size', () => {
  const big = 'x'.repeat(100_000);
  const stepTemplate = (id: string, command: string) => `template:
  name: ${id}
  identifier: ${id}
  versionLabel: "1"
  type: Step
  spec:
    type: Run
    spec:
      command: "${command}"
`;
  const groupTemplate = (id: string, inner: string, fanOut: number) => `template:
  name: ${id}
  identifier: ${id}
  versionLabel: "1"
  type: StepGroup
  spec:
    steps:
${Array.from({ length: fanOut }, (_, i) => `      - ${inner === 'big' ? 'step' : 'stepGroup'}: {name: x${i}, identifier: x${i}, template: {templateRef: account.${inner}, versionLabel: "1"}}`).join('\n')}
`;

  test('one large template used by many steps is PW5003 at a reference', async () => {
    const steps = Array.from(
      { length: 400 },
      (_, i) => `              - step: {name: s${i}, identifier: s${i}, template: {templateRef: account.big, versionLabel: "1"}}`,
    ).join('\n');
    const r = await compileFiles({ 'big.yaml': stepTemplate('big', big), 'p.yaml': pipeline('', steps) });
    expect(r.ms).toBeLessThan(FAST_MS * 2);
    expect(codes(r)).toEqual(['PW5003']);
    expect(r.diagnostics[0]).toMatchObject({ file: 'p.yaml' });
    expect(r.diagnostics[0]!.line).toBeGreaterThan(11);
  });

  test('templates nesting with fan-out (4^6 copies of 100 KB) stop at once with PW5003', async () => {
    const files: Record<string, string> = { 'big.yaml': stepTemplate('big', big), 'g1.yaml': groupTemplate('g1', 'big', 4) };
    for (let i = 2; i <= 6; i++) files[`g${i}.yaml`] = groupTemplate(`g${i}`, `g${i - 1}`, 4);
    files['p.yaml'] = pipeline(
      '',
      '              - stepGroup: {name: top, identifier: top, template: {templateRef: account.g6, versionLabel: "1"}}',
    );
    const r = await compileFiles(files);
    expect(r.ms).toBeLessThan(FAST_MS * 2);
    expect(codes(r)).toEqual(['PW5003']);
  });

  test('strategies multiplying large steps are PW5003', async () => {
    const step = `              - step: {type: Run, name: r, identifier: r, strategy: {parallelism: 256}, spec: {command: "${'y'.repeat(2000)}"}}`;
    const stage = pipeline('', step).replace('        type: CI\n', '        type: CI\n        strategy: {parallelism: 256}\n');
    const r = await compileFiles({ 'p.yaml': stage });
    expect(r.ms).toBeLessThan(FAST_MS * 2);
    expect(codes(r)).toEqual(['PW5003']);
  });

  test('strategies multiplying small steps stop at the step limit (PW5003)', async () => {
    const step = '              - step: {type: Run, name: r, identifier: r, strategy: {parallelism: 256}, spec: {command: echo hi}}';
    const stage = pipeline('', step).replace('        type: CI\n', '        type: CI\n        strategy: {parallelism: 256}\n');
    const r = await compileFiles({ 'p.yaml': stage });
    expect(r.ms).toBeLessThan(FAST_MS * 3);
    expect(codes(r)).toEqual(['PW5003']);
    expect(r.diagnostics[0]!.message).toMatch(/more than 25000 steps/);
  });

  test('repeats nested in step groups (100 × 100 × 100) stop at the step limit before the copies are built', async () => {
    const steps = `              - stepGroup:
                  identifier: a
                  name: a
                  strategy: {repeat: {times: 100}}
                  steps:
                    - stepGroup:
                        identifier: b
                        name: b
                        strategy: {repeat: {times: 100}}
                        steps:
                          - step: {type: Run, name: c, identifier: c, strategy: {repeat: {times: 100}}, spec: {command: echo hi}}`;
    const r = await compileFiles({ 'p.yaml': pipeline('', steps) });
    // Stopped at the 25,001st copy, not after drafting a million (2.2 s, and a stack overflow in a server).
    expect(r.ms).toBeLessThan(1000);
    expect(codes(r)).toEqual(['PW5003']);
    expect(r.diagnostics[0]!.message).toMatch(/more than 25000 steps/);
  });

  test('copies after copies stop at the needs limit (17 steps of 256 copies, each copy needing the 256 before)', async () => {
    const steps = Array.from(
      { length: 17 },
      (_, i) =>
        `              - step: {type: Run, name: s${i}, identifier: s${i}, strategy: {repeat: {times: 256}}, spec: {command: echo ${i}}}`,
    ).join('\n');
    const r = await compileFiles({ 'p.yaml': pipeline('', steps) });
    expect(r.ms).toBeLessThan(FAST_MS * 3);
    expect(codes(r)).toEqual(['PW5003']);
    expect(r.diagnostics[0]!.message).toMatch(/more than 1000000 needs/);
  });

  test('a field expanding past its limit is refused once, not re-expanded in every strategy copy', async () => {
    const vars =
      [
        '  variables:',
        '    - {name: v0, type: String, value: xxxxxxxxxxxxxxxx}',
        ...[1, 2, 3, 4, 5].map((i) => `    - {name: v${i}, type: String, value: "${`<+pipeline.variables.v${i - 1}>`.repeat(8)}"}`),
      ].join('\n') + '\n';
    const steps =
      '              - step: {type: Run, name: r, identifier: r, strategy: {parallelism: 100}, spec: {command: "echo <+pipeline.variables.v5>"}}';
    const r = await compileFiles({
      'p.yaml': pipeline(vars, steps).replace('        type: CI\n', '        type: CI\n        strategy: {parallelism: 10}\n'),
    });
    // 25 s before: the same 4 MB expanded for each of 1,000 copies.
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(codes(r)).toContain('PW5003');
  });

  test('variables that refer to each other ten times over are PW5003, not an exhausted heap', async () => {
    const vars = ['    - {name: v0, type: String, value: "0123456789"}'];
    for (let i = 1; i <= 9; i++)
      vars.push(
        `    - {name: v${i}, type: String, value: "${Array(10)
          .fill(`<+pipeline.variables.v${i - 1}>`)
          .join('')}"}`,
      );
    const r = await compileFiles({
      'p.yaml': pipeline(
        `  variables:\n${vars.join('\n')}\n`,
        '              - step: {type: Run, name: r, identifier: r, spec: {command: "echo <+pipeline.variables.v9>"}}',
      ),
    });
    expect(r.ms).toBeLessThan(FAST_MS * 2);
    expect(codes(r)).toContain('PW5003');
  });
});

describe('publish over HTTP', () => {
  let reg: LiveRegistry | undefined;
  afterEach(async () => {
    await reg?.close();
    reg = undefined;
  });

  const template = (extra: string) => `template:
  name: bomb
  identifier: bomb
  versionLabel: "1.0.0"
  type: Step
${extra}  spec:
    type: Run
    spec:
      shell: Sh
      command: echo hi
`;

  test('an alias bomb by bytes answers quickly with 422 PW1008, located; /healthz answers meanwhile; the database stays small', async () => {
    reg = await liveRegistry();
    const bomb = aliasBomb('  ', 'tags', 1500);
    const yaml = template(`  description: ${bomb.anchor}\n${bomb.uses}`);
    expect(yaml.length).toBeGreaterThan(100_000);
    expect(yaml.length).toBeLessThan(200_000);
    const before = reg.dbBytes();
    const { publish, slowestHealth, healthChecks } = await publishWhileProbing(reg, 'account.bomb', '1.0.0', yaml);
    expect(publish.status).toBe(422);
    expect(publish.ms).toBeLessThan(FAST_MS);
    const d = publish.body.error!.details!;
    expect(d.map((x) => x.code)).toEqual(['PW1008']);
    expect(d[0]!.line).toBeGreaterThan(6);
    expect(healthChecks).toBeGreaterThan(0);
    expect(slowestHealth).toBeLessThan(FAST_MS);
    expect(reg.dbBytes() - before).toBeLessThan(1024 * 1024);
  });

  test('an alias bomb by nodes answers quickly with 422 PW1003', async () => {
    reg = await liveRegistry();
    const res = await reg.publish('account.bomb', '1.0.0', template(`  tags:\n    ${LAUGHS}\n`));
    expect(res.status).toBe(422);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.body.error!.details!.map((x) => x.code)).toEqual(['PW1003']);
  });

  test('a template multiplying another past the plan limit answers quickly with 422 PW5003', async () => {
    reg = await liveRegistry();
    const big = template('')
      .replace('command: echo hi', `command: "${'x'.repeat(100_000)}"`)
      .replace(/bomb/g, 'big');
    expect((await reg.publish('account.big', '1.0.0', big)).status).toBe(201);
    const group = `template:
  name: fan
  identifier: fan
  versionLabel: "1.0.0"
  type: StepGroup
  spec:
    steps:
${Array.from({ length: 400 }, (_, i) => `      - step: {name: x${i}, identifier: x${i}, template: {templateRef: account.big, versionLabel: "1.0.0"}}`).join('\n')}
`;
    const { publish, slowestHealth } = await publishWhileProbing(reg, 'account.fan', '1.0.0', group);
    expect(publish.status).toBe(422);
    expect(publish.ms).toBeLessThan(FAST_MS * 2);
    expect(publish.body.error!.details!.map((x) => x.code)).toContain('PW5003');
    expect(slowestHealth).toBeLessThan(FAST_MS * 2);
  });
});

describe('the alias pre-scan', () => {
  test('refuses the one-big-scalar bomb before the YAML library parses it, at the alias that passes the budget', () => {
    const text = `a: &d "${'x'.repeat(100_000)}"\ntags:\n${Array.from({ length: 1500 }, (_, i) => `  k${i}: *d`).join('\n')}\n`;
    const at = aliasBombAt(text, 1_000_000);
    expect(at).toBeDefined();
    expect(text.slice(at).slice(0, 2)).toBe('*d');
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) aliasBombAt(text, 1_000_000);
    expect((performance.now() - t0) / 10).toBeLessThan(20);
  });

  test('globs, pointers and anchors in strings are not a bomb', () => {
    const text = `command: "echo &x; ls *.txt *x"\nother: ${'y'.repeat(1000)}\nlist: [*x, *x]\n`;
    expect(aliasBombAt(text, 1_000_000)).toBeUndefined();
    expect(aliasBombAt('a: 1\nb: 2\n', 10)).toBeUndefined();
  });
});

describe('many documents in one publish', () => {
  test('7,800 documents are refused before any is parsed', async () => {
    const { default: request } = await import('supertest');
    const { bearer, bootRegistry } = await import('../registry/fixtures.js');
    const r = bootRegistry();
    const yaml = Array.from(
      { length: 7800 },
      (_, i) => `---\ntemplate: {name: t${i}, identifier: t, versionLabel: "1.0.0", type: Step, spec: {type: Run, spec: {command: x}}}`,
    ).join('\n');
    const t0 = performance.now();
    const res = await request(r.app).put('/api/v1/templates/account.t/versions/1.0.0').set(bearer(r.tokens.publish)).send({ yaml });
    expect(res.status).toBe(422);
    expect((res.body as ApiErrorBody).error.message).toMatch(/exactly one document/);
    expect(performance.now() - t0).toBeLessThan(300);
  });
});
