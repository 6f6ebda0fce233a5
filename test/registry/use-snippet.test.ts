/**
 * The template page's "Use it" snippet (issue 16, point 12): a pipeline-ready block for the
 * template's type, recommending a caret range of the newest version that is not deprecated,
 * yanked or a prerelease, with required inputs as placeholders. The page tests copy the
 * snippet out of the served HTML, paste it into a pipeline and compile that with the real
 * CLI against the same live registry; the unit tests hold registry/use-snippet.ts to its
 * decisions (0.x, versions that are not semver, regex-constrained inputs).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { placeholderFor, recommend, sampleOf, useSnippet, type SnippetVersion } from '../../registry/use-snippet.js';
import { testRegex } from '../../schemas/index.js';
import { onePipeline } from '../helpers.js';
import { liveRegistries, type LiveRegistry } from './live-registry.js';

const live = liveRegistries();

type Kind = 'Step' | 'StepGroup' | 'Stage' | 'Pipeline';

const RUN = (id: string, command: string) =>
  `{type: Run, name: ${id}, identifier: ${id}, spec: {shell: Sh, command: ${JSON.stringify(command)}}}`;

/** A template of `type` whose one Run step echoes `command`; `inputs` are lines under `inputs:` (indented 4). */
function templateText(type: Kind, id: string, version: string, inputs: string, command: string): string {
  const steps = `[{step: ${RUN('run', command)}}]`;
  const spec = {
    Step: `{type: Run, spec: {shell: Sh, command: ${JSON.stringify(command)}}}`,
    StepGroup: `{steps: ${steps}}`,
    Stage: `{type: CI, spec: {execution: {steps: ${steps}}}}`,
    Pipeline: `{stages: [{stage: {name: s, identifier: s, type: CI, spec: {execution: {steps: ${steps}}}}}]}`,
  }[type];
  return `template:\n  name: ${id} template\n  identifier: ${id}\n  versionLabel: ${JSON.stringify(version)}\n  type: ${type}\n${inputs ? `  inputs:\n${inputs}\n` : ''}  spec: ${spec}\n`;
}

async function publish(r: LiveRegistry, text: string): Promise<void> {
  const file = join(r.dir, `t${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const out = await r.cli('template', 'publish', file);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', '#x27': "'", '#x3D': '=', '#x60': '`', amp: '&' };

/** The page's HTML and the snippet as a browser shows (and copies) it. */
async function snippetPage(r: LiveRegistry, ref: string, query = ''): Promise<{ html: string; snippet: string }> {
  const res = await fetch(`${r.reg.url}/templates/${ref}${query}`);
  expect(res.status).toBe(200);
  const html = await res.text();
  const code = /<code id="snippet">([^<]*)<\/code>/.exec(html)?.[1];
  expect(code, 'the page has a snippet').toBeDefined();
  return { html, snippet: code!.replace(/&(lt|gt|quot|#x27|#x3D|#x60|amp);/g, (_, e: string) => ENTITIES[e]!) };
}

const indent = (text: string, n: number) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n') + '\n';

/** The snippet pasted where its type goes, in a minimal pipeline. */
function pasted(type: Kind, snippet: string): string {
  if (type === 'Pipeline') return snippet;
  if (type === 'Stage') return `pipeline:\n  name: p\n  identifier: p\n  stages:\n${indent(snippet, 4)}`;
  return onePipeline(indent(snippet, 14));
}

/** The node of a block (`- step: {...}`, `pipeline: {...}`): name, identifier and template reference. */
function nodeOf(snippet: string): { name: string; identifier: string; template: Record<string, unknown> & { inputs?: unknown } } {
  const doc = parse(snippet) as Record<string, unknown> | Record<string, unknown>[];
  return Object.values(Array.isArray(doc) ? doc[0]! : doc)[0] as ReturnType<typeof nodeOf>;
}

interface Compiled {
  code: number;
  stderr: string;
  ok: boolean;
  diagnostics: { code: string; severity: string; message: string }[];
  templates: { ref: string; version: string }[];
}

/** `pipewright compile --json` of `pipeline` against the live registry. */
async function compileAgainst(r: LiveRegistry, pipeline: string): Promise<Compiled> {
  const file = `p${Math.random().toString(36).slice(2)}.yaml`;
  writeFileSync(join(r.dir, file), pipeline);
  const out = await r.cli('compile', file, '--json');
  const doc = JSON.parse(out.stdout) as {
    ok: boolean;
    diagnostics: Compiled['diagnostics'];
    plans: { templates: Compiled['templates'] }[];
  };
  return { code: out.code, stderr: out.stderr, ok: doc.ok, diagnostics: doc.diagnostics, templates: doc.plans[0]?.templates ?? [] };
}

describe('the Use it snippet of the catalog page', () => {
  test.each([
    ['Step', '- step:'],
    ['StepGroup', '- stepGroup:'],
    ['Stage', '- stage:'],
    ['Pipeline', 'pipeline:'],
  ] as const)('a %s template: the copied block pastes into a pipeline that compiles against the registry', async (type, head) => {
    const r = await live({ anonymousRead: true });
    const inputs = '    greeting: {type: string}\n    times: {type: number}\n    port: {type: number, default: 80}';
    for (const v of ['1.0.0', '1.3.2'])
      await publish(r, templateText(type, 'hello_kit', v, inputs, `echo {{inputs.greeting}} {{inputs.times}} {{inputs.port}} ${v}`));
    const { snippet } = await snippetPage(r, 'account.hello_kit');
    expect(snippet.startsWith(head + '\n')).toBe(true);
    expect(nodeOf(snippet)).toEqual({
      name: 'hello_kit',
      identifier: 'hello_kit',
      template: { templateRef: 'account.hello_kit', versionLabel: '^1.3', inputs: { greeting: '<greeting>', times: 0 } },
    });
    const c = await compileAgainst(r, pasted(type, snippet));
    expect(c.diagnostics).toEqual([]);
    expect(c.code).toBe(0);
    expect(c.templates).toMatchObject([{ ref: 'account.hello_kit', version: '1.3.2' }]);
  });

  test('a newest version deprecated past its sunset is not recommended: the range picks the older good one', async () => {
    const r = await live({ anonymousRead: true });
    for (const v of ['1.2.0', '1.3.2', '1.4.0']) await publish(r, templateText('Step', 'cache', v, '', `echo ${v}`));
    const dep = await r.cli('template', 'deprecate', 'account.cache@1.4.0', '--message', 'leaks file handles', '--sunset', '2020-01-01');
    expect(dep.code).toBe(0);
    const { html, snippet } = await snippetPage(r, 'account.cache');
    // ^1.3 would pick 1.4.0, which fails with PW4010: the snippet narrows to ~1.3.
    expect(nodeOf(snippet).template).toEqual({ templateRef: 'account.cache', versionLabel: '~1.3' });
    expect(html).not.toMatch(/Warning:/);
    expect(html).toContain(
      '<code>versionLabel: ~1.3</code> picks 1.3.2 today, the newest version that is not deprecated, yanked or a prerelease, and later compatible releases once they are published. Paste the block in a stage&#x27;s execution.steps list (or a step group&#x27;s steps).</p>',
    );
    const c = await compileAgainst(r, pasted('Step', snippet));
    expect(c.diagnostics).toEqual([]);
    expect(c.templates).toMatchObject([{ ref: 'account.cache', version: '1.3.2' }]);
    // What the range replaces would not have compiled.
    const caret = await compileAgainst(r, pasted('Step', snippet.replace('~1.3', '^1.3')));
    expect(caret.diagnostics.map((d) => d.code)).toContain('PW4010');
    // Viewing the deprecated version keeps the recommendation and offers the exact pin on its own line.
    const viewed = await snippetPage(r, 'account.cache', '?version=1.4.0');
    expect(viewed.snippet).toBe(snippet);
    expect(viewed.html).toMatch(/To pin exactly the version shown on this page \(deprecated\), write <code>versionLabel: 1\.4\.0<\/code>/);
  });

  test('required inputs are placeholders that compile: <name>, the first allowed value, typed empty values, a regex example', async () => {
    const r = await live({ anonymousRead: true });
    const inputs = [
      '    redis_version: {type: string}',
      '    mode: {type: string, allowedValues: [fast, safe]}',
      '    port: {type: number}',
      '    tls: {type: boolean}',
      '    flags: {type: array}',
      '    env: {type: object}',
      '    extra: {type: steps}',
      '    build: {type: string, regex: "^[0-9]+$"}',
      '    service: {type: string, regex: "^[a-z_]+$"}',
      '    tag: {type: string, default: latest}',
      '    note: {type: string, required: false}',
    ].join('\n');
    const command =
      'echo {{inputs.redis_version}} {{inputs.mode}} {{inputs.port}} {{inputs.tls}} {{inputs.build}} {{inputs.service}} {{inputs.tag}}';
    await publish(r, templateText('Step', 'redis', '2.0.1', inputs, command));
    const { html, snippet } = await snippetPage(r, 'account.redis');
    expect(nodeOf(snippet).template.inputs).toEqual({
      redis_version: '<redis_version>',
      mode: 'fast',
      port: 0,
      tls: false,
      flags: [],
      env: {},
      extra: [],
      build: '0',
      service: 'service',
    });
    expect(snippet).toContain('redis_version: <redis_version>\n');
    expect(html).toMatch(/The required inputs of 2\.0\.1 hold placeholders: replace them\.<\/p>/);
    expect(html).toContain('&#x27;0&#x27; for build is only an example that matches its regex ^[0-9]+$: replace it.');
    const c = await compileAgainst(r, pasted('Step', snippet));
    expect(c.diagnostics).toEqual([]);
    expect(c.templates).toMatchObject([{ ref: 'account.redis', version: '2.0.1' }]);
  });

  test('prereleases and yanked versions are skipped; viewing an older version still recommends the range', async () => {
    const r = await live({ anonymousRead: true });
    for (const v of ['1.1.0', '1.2.0', '2.0.0', '2.1.0-rc.1']) await publish(r, templateText('Step', 'lint', v, '', `echo ${v}`));
    expect((await r.cli('template', 'yank', 'account.lint@2.0.0')).code).toBe(0);
    const { snippet } = await snippetPage(r, 'account.lint');
    expect(nodeOf(snippet).template.versionLabel).toBe('^1.2');
    const c = await compileAgainst(r, pasted('Step', snippet));
    expect(c.diagnostics).toEqual([]);
    expect(c.templates).toMatchObject([{ ref: 'account.lint', version: '1.2.0' }]);
    const old = await snippetPage(r, 'account.lint', '?version=1.1.0');
    expect(old.snippet).toBe(snippet);
    expect(old.html).toMatch(/To pin exactly the version shown on this page, write <code>versionLabel: 1\.1\.0<\/code> instead\./);
  });

  test('every version deprecated or yanked: the page says so next to a snippet pinning the newest', async () => {
    const r = await live({ anonymousRead: true });
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await publish(r, templateText('Step', 'old', v, '', `echo ${v}`));
    await r.cli('template', 'deprecate', 'account.old@1.0.0', '--message', 'gone');
    await r.cli('template', 'deprecate', 'account.old@1.1.0', '--message', 'use account.new', '--sunset', '2020-01-01');
    await r.cli('template', 'yank', 'account.old@1.2.0');
    const { html, snippet } = await snippetPage(r, 'account.old');
    expect(nodeOf(snippet).template.versionLabel).toBe('1.1.0');
    expect(html).toMatch(
      /<p class="error snippet-warning"><strong>Warning:<\/strong> Every version of account\.old is deprecated or yanked: the snippet pins the newest, 1\.1\.0, which is deprecated and past its sunset date 2020-01-01: use account\.new\. Compiling it fails \(PW4010\) unless --allow-sunset is given\.<\/p>\s*<p class="snippet-about">/,
    );
    const c = await compileAgainst(r, pasted('Step', snippet));
    expect(c.diagnostics.map((d) => d.code)).toEqual(['PW4010']);
  });
});

describe('use-snippet.ts', () => {
  const t = (labels: Record<string, string> = {}) => ({ ref: 'account.x', identifier: 'x', type: 'Step', labels });
  const vs = (...names: string[]): SnippetVersion[] => names.map((version) => ({ version, yanked: false }));

  test.each([
    [['1.3.2', '1.2.0'], '1.3.2', '^1.3'],
    [['0.4.1', '0.3.0'], '0.4.1', '^0.4'],
    [['0.0.3', '0.0.2'], '0.0.3', '0.0.3'],
    [['2.0.0', '10.0.0', '9.1.0'], '10.0.0', '^10.0'],
    [['v1', 'v2'], 'v2', 'v2'],
    [['1.0', '2023-01'], '2023-01', '2023-01'],
  ])('versions %j: recommends %s as %s', (names, version, versionLabel) => {
    expect(recommend(t(), vs(...names))).toEqual({ version, versionLabel });
  });

  test('versions that are not semver: the stable label when it points at the newest usable version', () => {
    expect(recommend(t({ stable: 'v2' }), vs('v1', 'v2'))).toEqual({ version: 'v2', versionLabel: 'stable' });
    expect(useSnippet(t({ stable: 'v2' }), vs('v1', 'v2'), () => ({})).about).toBe(
      'picks v2 today and follows the stable label when its maintainers move it.',
    );
    // The label wins over publish order: the maintainers chose it.
    expect(recommend(t({ stable: 'v1' }), vs('v1', 'v2'))).toEqual({ version: 'v1', versionLabel: 'stable' });
    // A label on a deprecated version is not followed.
    const versions = [{ version: 'v1', yanked: false, deprecation: { message: 'old' } }, ...vs('v2')];
    expect(recommend(t({ stable: 'v1' }), versions)).toEqual({ version: 'v2', versionLabel: 'v2' });
  });

  test('deprecated versions inside the caret narrow it: ~ then the exact version', () => {
    const dep = (version: string): SnippetVersion => ({ version, yanked: false, deprecation: { message: 'no' } });
    expect(recommend(t(), [...vs('1.3.2'), dep('1.4.0')]).versionLabel).toBe('~1.3');
    expect(recommend(t(), [...vs('1.3.2'), dep('1.3.3')]).versionLabel).toBe('1.3.2');
    expect(recommend(t(), [...vs('0.4.1'), dep('0.4.2')]).versionLabel).toBe('0.4.1');
    // A yanked one inside the caret is never picked by a range: the caret stays.
    expect(recommend(t(), [...vs('1.3.2'), { version: '1.4.0', yanked: true }]).versionLabel).toBe('^1.3');
  });

  test('only prereleases, or nothing usable: an exact pin with a warning', () => {
    expect(recommend(t(), vs('2.0.0-rc.1', '2.0.0-rc.2'))).toEqual({
      version: '2.0.0-rc.2',
      versionLabel: '2.0.0-rc.2',
      warning: 'account.x has no release yet, only prereleases: the snippet pins the newest, 2.0.0-rc.2.',
    });
    const gone = [
      { version: '1.0.0', yanked: false, deprecation: { message: 'use y', sunset: '2099-01-01' } },
      { version: '1.1.0', yanked: true },
    ];
    expect(recommend(t(), gone, '2025-01-01')).toEqual({
      version: '1.0.0',
      versionLabel: '1.0.0',
      warning:
        'Every version of account.x is deprecated or yanked: the snippet pins the newest, 1.0.0, which is deprecated (sunset 2099-01-01): use y. Compiling it warns (PW4009).',
    });
    expect(recommend(t(), [{ version: '1.1.0', yanked: true }]).warning).toMatch(/which is yanked \(compiling it warns, PW4011\)/);
  });

  test('the block of each type; opaque types get the bare reference', () => {
    const decls = () => ({ url: { type: 'string' as const } });
    const of = (type: string) => useSnippet({ ...t(), identifier: 'deploy_1', type }, vs('1.0.0'), decls).yaml;
    const ref = 'templateRef: account.x\n  versionLabel: ^1.0\n  inputs:\n    url: <url>\n';
    expect(of('Stage')).toBe(
      `- stage:\n    name: deploy_1\n    identifier: deploy_1\n    template:\n      ${ref.replace(/\n {2}/g, '\n      ')}`,
    );
    expect(of('Pipeline')).toBe(
      `pipeline:\n  name: deploy_1\n  identifier: deploy_1\n  template:\n    ${ref.replace(/\n {2}/g, '\n    ')}`,
    );
    expect(of('CustomDeployment')).toBe(`template:\n  ${ref}`);
  });

  test.each([
    ['^[0-9]+$', '0'],
    ['^v\\d+\\.\\d+$', 'v0.0'],
    ['^[a-z][a-z0-9-]{2,30}$', 'aaa'],
    ['^(dev|staging|prod)$', 'dev'],
    ['^http://127\\.0\\.0\\.1:[0-9]+/', 'http://127.0.0.1:0/'],
    ['^[^/]+/[^:]+:\\d+$', 'a/a:0'],
    ['^(?:[A-Z]{3})-\\d{4}$', 'AAA-0000'],
  ])('a sample for %s is %j, and RE2 agrees', (pattern, sample) => {
    expect(sampleOf(pattern)).toBe(sample);
    expect(testRegex(pattern, sample)).toEqual({ matched: true });
  });

  test('a regex nothing fits keeps <name> and says it must be replaced', () => {
    expect(sampleOf('^\\p{Lu}+$')).toBeUndefined();
    expect(sampleOf('^(a{100}){100}$')).toBeUndefined();
    expect(placeholderFor('code', { type: 'string', regex: '^\\p{Lu}+$' })).toEqual({
      value: '<code>',
      note: 'code must match ^\\p{Lu}+$: replace <code> before the snippet compiles.',
    });
    expect(placeholderFor('name', { type: 'string', regex: '^<.*>$' })).toEqual({ value: '<name>' });
  });
});
