/**
 * What `pipewright audit` reports (issue 13, points 5 and 6), through the real binary:
 * JUnit shows a pipeline that does not compile as one erroring test case and shows warnings
 * (skipped cases with a message); the inventory counts template references, not the steps
 * they produce.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, tempDir } from '../helpers.js';

const BIN = join(REPO, 'dist', 'cli', 'bin.js');

function audit(dir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, 'audit', '.', '--policy', 'policy.yaml', '-t', 'templates', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
}

/** An element of a parsed XML document. */
interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes character data strictly: a bare `&`, an unknown entity or a character XML 1.0 forbids throws. */
function decode(raw: string, where: number): string {
  // Outside tab, line feed, carriage return and U+0020–U+FFFD: the controls XML 1.0 forbids, U+FFFE and U+FFFF.
  if (/[^\t\n\r\u0020-\uFFFD]/.test(raw)) throw new Error(`a character XML forbids near ${where}`);
  return raw.replace(/&([^;]*);|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new Error(`a bare & near ${where}`);
    if (name in ENTITIES) return ENTITIES[name]!;
    const code = /^#x([0-9a-f]+)$/i.exec(name) ? parseInt(name.slice(2), 16) : /^#\d+$/.test(name) ? Number(name.slice(1)) : NaN;
    if (Number.isNaN(code)) throw new Error(`unknown entity ${m} near ${where}`);
    return String.fromCodePoint(code);
  });
}

/** A strict parser for the XML subset the report uses (declaration, elements, attributes, text): throws unless well-formed. */
function parseXml(src: string): Element {
  let i = src.startsWith('<?xml') ? src.indexOf('?>') + 2 : 0;
  const ws = () => {
    while (/\s/.test(src[i] ?? '')) i++;
  };
  const element = (): Element => {
    const open = /^<([A-Za-z][\w.-]*)/.exec(src.slice(i));
    if (!open) throw new Error(`expected an element at ${i}: ${src.slice(i, i + 30)}`);
    i += open[0].length;
    const el: Element = { name: open[1]!, attrs: {}, children: [], text: '' };
    for (;;) {
      ws();
      if (src.startsWith('/>', i)) return ((i += 2), el);
      if (src[i] === '>') break;
      const attr = /^([A-Za-z][\w.-]*)="([^"<]*)"/.exec(src.slice(i));
      if (!attr || attr[1]! in el.attrs) throw new Error(`bad or repeated attribute at ${i}: ${src.slice(i, i + 30)}`);
      el.attrs[attr[1]!] = decode(attr[2]!, i);
      i += attr[0].length;
    }
    i++;
    for (;;) {
      const lt = src.indexOf('<', i);
      if (lt < 0) throw new Error(`<${el.name}> is not closed`);
      el.text += decode(src.slice(i, lt), i);
      i = lt;
      if (src.startsWith(`</${el.name}>`, i)) return ((i += el.name.length + 3), el);
      el.children.push(element());
    }
  };
  ws();
  const root = element();
  ws();
  if (i !== src.length) throw new Error(`text after the root element at ${i}`);
  return root;
}

const POLICY = `policy:
  name: report-test
  rules:
    - id: readiness
      match: {kind: [background, service]}
      require: {readiness: true}
    - id: allowed-images
      severity: warning
      match: {image: "."}
      require: {images: ["^registry\\\\.local/"]}
    - id: has-build
      scope: pipeline
      assert: {properties: {stages: {minItems: 1}}}
`;

const stage = (id: string, steps: string) =>
  `    - stage:\n        name: ${id}\n        identifier: ${id}\n        type: CI\n        spec:\n          execution:\n            steps:\n${steps}`;

/** Compiles, with a compile warning (a background without readiness: PW5002), an error violation (readiness) and a warning violation (an image off the list). */
const GOOD = `pipeline:\n  name: good\n  identifier: good\n  stages:\n${stage(
  'build',
  '              - step: {type: Run, name: compile, identifier: compile, spec: {image: alpine:3, command: make}}\n' +
    '              - step: {type: Background, name: db, identifier: db, spec: {image: registry.local/postgres:16, command: postgres}}\n',
)}`;
/** Does not compile: two invalid step identifiers (PW2004), one with markup characters and a control character (which XML forbids) in it. */
const BROKEN = `pipeline:\n  name: broken\n  identifier: broken\n  stages:\n${stage('build', '              - step: {type: Run, name: a, identifier: Nope-1, spec: {command: x}}\n              - step: {type: Run, name: b, identifier: "A<&>B\\x01", spec: {command: x}}\n')}`;
const CLEAN = `pipeline:\n  name: clean\n  identifier: clean\n  stages:\n${stage('build', '              - step: {type: Run, name: r, identifier: r, spec: {image: registry.local/tool:1, command: make}}\n')}`;

/** The JUnit report of the fleet, parsed, with its test cases by file. */
function junitOf(files: Record<string, string>): {
  suite: Element;
  cases: Element[];
  byFile: (file: string) => Element[];
  status: number | null;
} {
  const dir = tempDir({ 'policy.yaml': POLICY, 'templates/.keep': '', ...files }, 'pw-audit-junit-');
  const r = audit(dir, '--format', 'junit');
  expect(r.stderr).toBe('');
  const root = parseXml(r.stdout);
  expect(root.name).toBe('testsuites');
  expect(root.children.map((c) => c.name)).toEqual(['testsuite']);
  const suite = root.children[0]!;
  const cases = suite.children.filter((c) => c.name === 'testcase');
  return { suite, cases, byFile: (file) => cases.filter((c) => c.attrs['classname'] === file), status: r.status };
}

const child = (c: Element, name: string) => c.children.filter((x) => x.name === name);

describe('audit --format junit', () => {
  test('a pipeline that does not compile is one test case with an <error> listing its diagnostics (file:line:col code message)', () => {
    const { byFile, status } = junitOf({ 'broken&<x>.yaml': BROKEN, 'clean.yaml': CLEAN });
    expect(status).toBe(1);
    const broken = byFile('broken&<x>.yaml');
    expect(broken).toHaveLength(1);
    const errors = child(broken[0]!, 'error');
    expect(errors).toHaveLength(1);
    expect(child(broken[0]!, 'failure')).toHaveLength(0);
    const lines = errors[0]!.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^broken&<x>\.yaml:12:\d+: PW2004 .*Nope-1/);
    expect(lines[1]).toMatch(/^broken&<x>\.yaml:13:\d+: PW2004 .*A<&>B\uFFFD/);
    expect(errors[0]!.attrs['message']).toBe(lines[0]);
    // The pipeline that compiles still has one case per rule, plus compile.
    expect(byFile('clean.yaml').map((c) => c.attrs['name'])).toEqual(['compile', 'readiness', 'allowed-images', 'has-build']);
  });

  test('warnings appear: warning violations and compile warnings are skipped cases with the warnings as message', () => {
    const { byFile } = junitOf({ 'good.yaml': GOOD });
    const cases = new Map(byFile('good.yaml').map((c) => [c.attrs['name'], c]));
    expect([...cases.keys()]).toEqual(['compile', 'readiness', 'allowed-images', 'has-build']);
    const lineOf = (text: string) => GOOD.split('\n').findIndex((l) => l.includes(text)) + 1;
    const warned = child(cases.get('allowed-images')!, 'skipped');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.text).toMatch(new RegExp(`^good\\.yaml:${lineOf('identifier: compile')}:\\d+: .*alpine:3`));
    expect(warned[0]!.attrs['message']).toContain('alpine:3');
    const compiled = child(cases.get('compile')!, 'skipped');
    expect(compiled).toHaveLength(1);
    expect(compiled[0]!.text).toMatch(new RegExp(`^good\\.yaml:${lineOf('identifier: db')}:\\d+: PW5002 `));
    expect(child(cases.get('readiness')!, 'failure')).toHaveLength(1);
    expect(cases.get('has-build')!.children).toEqual([]);
  });

  test('the suite counts agree with the cases', () => {
    const { suite, cases } = junitOf({ 'good.yaml': GOOD, 'broken.yaml': BROKEN, 'clean.yaml': CLEAN });
    const count = (name: string) => cases.filter((c) => child(c, name).length > 0).length;
    expect(suite.attrs).toMatchObject({
      tests: String(cases.length),
      failures: String(count('failure')),
      errors: String(count('error')),
      skipped: String(count('skipped')),
    });
    expect([cases.length, count('failure'), count('error'), count('skipped')]).toEqual([9, 1, 1, 2]);
  });
});

const TEMPLATES = {
  'templates/two.yaml': `template:\n  name: two steps\n  identifier: two_steps\n  versionLabel: 1.0.0\n  type: Stage\n  spec:\n    type: CI\n    spec:\n      execution:\n        steps:\n          - step: {type: Run, name: a, identifier: a, spec: {command: echo a}}\n          - step: {type: Run, name: b, identifier: b, spec: {command: echo b}}\n`,
  'templates/echo.yaml': `template:\n  name: echo\n  identifier: echo\n  versionLabel: 1.0.0\n  type: Step\n  spec:\n    type: Run\n    spec: {command: echo}\n`,
  'templates/echo-twice.yaml': `template:\n  name: echo twice\n  identifier: echo_twice\n  versionLabel: 1.0.0\n  type: Stage\n  spec:\n    type: CI\n    spec:\n      execution:\n        steps:\n          - step: {name: e1, identifier: e1, template: {templateRef: account.echo, versionLabel: 1.0.0}}\n          - step: {name: e2, identifier: e2, template: {templateRef: account.echo, versionLabel: 1.0.0}}\n`,
};
const stageRef = (id: string, ref: string) =>
  `    - stage:\n        name: ${id}\n        identifier: ${id}\n        template: {templateRef: ${ref}, versionLabel: 1.0.0}\n`;
/** The two-step stage template once; the step template once, copied three times by a matrix. */
const P1 = `pipeline:\n  name: p1\n  identifier: p1\n  stages:\n${stageRef('build', 'account.two_steps')}${stage('test', '              - step:\n                  name: e\n                  identifier: e\n                  strategy: {matrix: {n: [1, 2, 3]}}\n                  template: {templateRef: account.echo, versionLabel: 1.0.0}\n')}`;
/** A stage template referenced twice; it references the step template in two places. */
const P2 = `pipeline:\n  name: p2\n  identifier: p2\n  stages:\n${stageRef('one', 'account.echo_twice')}${stageRef('two', 'account.echo_twice')}`;

describe('audit inventory', () => {
  test('counts references (once per place a template is referenced), not the steps they produce', () => {
    const dir = tempDir({ 'policy.yaml': POLICY, ...TEMPLATES, 'p1.yaml': P1, 'p2.yaml': P2 }, 'pw-audit-inventory-');
    const json = audit(dir, '--format', 'json');
    expect(json.stderr).toBe('');
    const report = JSON.parse(json.stdout) as {
      summary: { failedToCompile: number };
      inventory: { ref: string; versions: { version: string; uses: number; pipelines: number }[] }[];
    };
    expect(report.summary.failedToCompile).toBe(0);
    const uses = Object.fromEntries(report.inventory.map((t) => [t.ref, t.versions.map((v) => [v.version, v.uses, v.pipelines])]));
    expect(uses).toEqual({
      'account.two_steps': [['1.0.0', 1, 1]],
      'account.echo_twice': [['1.0.0', 2, 1]],
      // p1: one reference (three matrix copies); p2: the two places in echo_twice.
      'account.echo': [['1.0.0', 3, 2]],
    });
    const table = audit(dir, '--format', 'table').stdout;
    expect(table).toMatch(/^ {2}account\.two_steps \(stable 1\.0\.0\): 1\.0\.0: 1 in 1$/m);
  });

  test('worker threads count the same', () => {
    const dir = tempDir(
      { 'policy.yaml': POLICY, ...TEMPLATES, 'p1.yaml': P1, 'p2.yaml': P2, 'p3.yaml': P2.replace(/p2/g, 'p3') },
      'pw-audit-inventory-',
    );
    type Inventory = { inventory: { ref: string; versions: { uses: number; pipelines: number }[] }[] };
    const one = JSON.parse(audit(dir, '--format', 'json', '--workers', '1').stdout) as Inventory;
    const two = JSON.parse(audit(dir, '--format', 'json', '--workers', '2').stdout) as Inventory;
    expect(two.inventory).toEqual(one.inventory);
    expect(one.inventory.find((t) => t.ref === 'account.echo_twice')!.versions[0]).toMatchObject({ uses: 4, pipelines: 2 });
  });
});
