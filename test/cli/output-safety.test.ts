/**
 * Text from a pipeline never controls the terminal, the CI log or a pull-request comment:
 * `compile`'s diagnostics and the table formats of `audit` and `impact` print escape
 * sequences, line breaks and bidi overrides as visible escapes (no ANSI sequence repaints the
 * terminal, no `::error` line becomes a GitHub workflow command); the markdown formats keep one
 * table row per entry and render no HTML from values. JSON keeps every value exact.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { markdownCell, markdownCode } from '../../audit/formats.js';
import type { AuditReport, ImpactReport } from '../../audit/index.js';
import { formatDiagnostic, printable } from '../../compiler/index.js';
import { onePipeline, runCli, tempDir } from '../helpers.js';
import type { CompileJson } from '../support/cli-json.js';

/** Colour, a forged GitHub workflow command on its own line, a pipe, HTML and a right-to-left override. */
const HOSTILE = '\x1b[31mred\n::error file=README.md::forged|pipe <img src=x onerror=alert(1)> \u202eevil';
/** `HOSTILE` as a YAML double-quoted scalar. */
const HOSTILE_YAML = '"\\e[31mred\\n::error file=README.md::forged|pipe <img src=x onerror=alert(1)> \\u202Eevil"';
/** `HOSTILE` as `printable` shows it. */
const HOSTILE_SHOWN = '\\x1b[31mred\\n::error file=README.md::forged|pipe <img src=x onerror=alert(1)> \\u202eevil';
/** A file name with a line break, an escape sequence, a pipe and HTML (Linux allows all of them). */
const HOSTILE_FILE = 'x|<img src=x>\n::error::y\x1b[31m.yaml';

/** Characters that must never reach a terminal or a log raw: controls except tab and line feed, C1, line/paragraph separators, bidi overrides. */
const UNSAFE = /(?![\t\n])[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Asserts `out` can go to a terminal or a CI log: no unsafe character, no line a CI runner takes for a command. */
function expectSafe(out: string): void {
  expect(out).not.toMatch(UNSAFE);
  expect(out).not.toMatch(/^\s*::/m);
}

/** The cells of a markdown table row, split at pipes not escaped by a backslash (as GFM does). */
const cells = (row: string) => row.slice(1, -1).split(/(?<!\\)\|/);

/** A code span (its text is never HTML): a run of backticks to the next run of the same length. */
const CODE_SPAN = /(?<!`)(`+)(?!`)[^\n]*?(?<!`)\1(?!`)/g;

/** Asserts every markdown table in `md` has `width` cells per row and no raw HTML from values; returns its rows. */
function expectTable(md: string, width: number): string[] {
  expectSafe(md);
  expect(md.replace(CODE_SPAN, '')).not.toMatch(/<img|<details/i);
  const rows = md.split('\n').filter((l) => l.startsWith('|'));
  for (const row of rows) {
    expect(row.endsWith('|'), row).toBe(true);
    expect(cells(row), row).toHaveLength(width);
  }
  return rows;
}

const SVC = (version: string, inputs: string) =>
  `template:\n  name: svc\n  identifier: svc\n  versionLabel: ${version}\n  type: Step\n  inputs:\n    mode: {type: string, default: fast${inputs}}\n  spec:\n    type: Run\n    spec:\n      image: registry.local/node:20\n      command: echo {{inputs.mode}}\n`;

/** A pipeline using `account.svc@^1.0`, with a Run step whose image is `image` and a stage identifier `stage`. */
const pipeline = (image = 'registry.local/node:20', stage = 's') =>
  `pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: ${stage}\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {name: a, identifier: a, template: {templateRef: account.svc, versionLabel: ^1.0, inputs: {mode: fast}}}\n              - step: {type: Run, name: r, identifier: r, spec: {image: ${image}, command: echo}}\n`;

const POLICY = `policy:\n  name: ${HOSTILE_YAML}\n  rules:\n    - id: image-allow-list\n      match: {image: "."}\n      require: {images: ["^registry\\\\.local/"]}\n`;

/** A fleet: two pipelines with a hostile image (one of them under a hostile file name), one whose stage identifier is hostile (does not compile). */
function fleet(): string {
  const dir = tempDir(
    {
      'templates/svc.yaml': SVC('1.0.0', ''),
      'policy.yaml': POLICY,
      'ok.yaml': pipeline(HOSTILE_YAML),
      'broken.yaml': pipeline(undefined, HOSTILE_YAML),
    },
    'pw-safety-',
  );
  writeFileSync(join(dir, HOSTILE_FILE), pipeline(HOSTILE_YAML));
  return dir;
}

describe('printable', () => {
  test('controls, C1, line separators and bidi overrides become visible escapes', () => {
    expect(printable('a\nb\r\nc')).toBe('a\\nb\\r\\nc');
    expect(printable('\x1b[31mred\x1b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(printable('\x00\x07\x08\x0b\x0c\x7f')).toBe('\\x00\\x07\\x08\\x0b\\x0c\\x7f');
    expect(printable('\u0085\u009b31m')).toBe('\\x85\\x9b31m');
    expect(printable('a\u2028b\u2029c')).toBe('a\\u2028b\\u2029c');
    expect(printable('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069')).toBe(
      '\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069',
    );
    expect(printable(HOSTILE)).toBe(HOSTILE_SHOWN);
  });

  test('ordinary text is unchanged: tabs, quotes, backslashes, non-ASCII letters, emoji', () => {
    const ordinary = "step s.r uses image docker.io/node:20 ('^registry\\.local/')\tü ß 日本 🚀 → ·";
    expect(printable(ordinary)).toBe(ordinary);
  });

  test('formatDiagnostic prints one line whatever the file name and message hold', () => {
    const line = formatDiagnostic({
      file: 'a\n::error::b\x1b[2J.yaml',
      line: 3,
      column: 4,
      severity: 'error',
      code: 'PW2004',
      message: `'${HOSTILE}' is not a valid identifier`,
    });
    expect(line).toBe(`a\\n::error::b\\x1b[2J.yaml:3:4: error PW2004 '${HOSTILE_SHOWN}' is not a valid identifier`);
    expect(
      formatDiagnostic({
        file: 'p.yaml',
        line: 1,
        column: 2,
        severity: 'warning',
        code: 'PW4009',
        message: "account.t@1.0.0 is deprecated: use 'b'",
      }),
    ).toBe("p.yaml:1:2: warning PW4009 account.t@1.0.0 is deprecated: use 'b'");
  });
});

describe('markdown cells', () => {
  test('markdownCell escapes pipes, backslashes, HTML, emphasis and links; a line break is <br>', () => {
    expect(markdownCell('a|b\\|c')).toBe('a\\|b\\\\\\|c');
    expect(markdownCell('<img src=x onerror=alert(1)> & <details>')).toBe('&lt;img src=x onerror=alert(1)&gt; &amp; &lt;details&gt;');
    expect(markdownCell('one\ntwo\r\nthree')).toBe('one<br>two<br>three');
    expect(markdownCell('`code` *bold* [x](http://e) ![i](http://e) ~~gone~~ _em_')).toBe(
      '\\`code\\` \\*bold\\* \\[x\\](http://e) !\\[i\\](http://e) \\~\\~gone\\~\\~ \\_em\\_',
    );
    expect(markdownCell('\x1b[31m\u202e')).toBe('\\\\x1b\\[31m\\\\u202e');
  });

  test('markdownCell leaves ordinary text alone (an underscore inside a word does not emphasise)', () => {
    expect(markdownCell('step test.g.cache uses account.redis_service@1.2.0, outside >=1.3')).toBe(
      'step test.g.cache uses account.redis_service@1.2.0, outside &gt;=1.3',
    );
  });

  test('markdownCode: a code span whose fence outlasts any backtick run, pipes escaped, one line', () => {
    expect(markdownCode('team/pipeline.yaml')).toBe('`team/pipeline.yaml`');
    expect(markdownCode('a`b|c')).toBe('``a`b\\|c``');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCode(HOSTILE_FILE)).toBe('`x\\|<img src=x>\\n::error::y\\x1b[31m.yaml`');
  });
});

describe('pipeline text in command output', () => {
  test('compile: a hostile identifier is one diagnostic line, escaped; --json keeps it exact', async () => {
    const dir = tempDir({ 'p.yaml': pipeline(undefined, HOSTILE_YAML), 'templates/svc.yaml': SVC('1.0.0', '') }, 'pw-safety-compile-');
    const r = await runCli(['compile', 'p.yaml', '-t', 'templates'], dir);
    expect(r.code).toBe(2);
    expectSafe(r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    expect(
      lines.slice(0, -1).every((l) => /^p\.yaml:\d+:\d+: error PW\d{4} /.test(l)),
      r.stderr,
    ).toBe(true);
    expect(r.stderr).toContain(HOSTILE_SHOWN);
    const json = JSON.parse((await runCli(['compile', 'p.yaml', '-t', 'templates', '--json'], dir)).stdout) as CompileJson;
    expect(json.diagnostics.map((d) => d.message).join('\n')).toContain(HOSTILE);
  });

  test('audit --format table: violations, compile errors and file names are escaped', async () => {
    const dir = fleet();
    const r = await runCli(['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'table'], dir);
    expect(r.code).toBe(1);
    expectSafe(r.stdout);
    const violations = r.stdout.split('\n').filter((l) => l.includes(' error image-allow-list '));
    expect(violations).toHaveLength(2);
    for (const l of violations) expect(l).toContain(`uses image ${HOSTILE_SHOWN}, which is not on the allow-list`);
    expect(r.stdout).toContain('x|<img src=x>\\n::error::y\\x1b[31m.yaml:13:');
    expect(r.stdout).toMatch(/^ {2}broken\.yaml:\d+:\d+: PW2004 .*\\x1b\[31mred\\n::error file=README\.md::forged/m);
    expect(r.stdout).toContain(`policy ${HOSTILE_SHOWN}: 2 pipelines in 3 files`);
  });

  test('audit --format markdown: one row per violation, values escaped, no HTML', async () => {
    const dir = fleet();
    const r = await runCli(['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'markdown'], dir);
    expect(r.code).toBe(1);
    // The broken pipeline's table (two columns), then the violations (four), then the inventory (three).
    const failedRows = expectTable(r.stdout.slice(0, r.stdout.indexOf('| severity |')), 2);
    expect(failedRows).toHaveLength(2 + 1);
    expect(failedRows[2]).toMatch(/^\| `broken\.yaml` \| /);
    const violationRows = expectTable(r.stdout.slice(r.stdout.indexOf('| severity |'), r.stdout.indexOf('| template |')), 4);
    expect(violationRows).toHaveLength(2 + 2);
    expectTable(r.stdout.slice(r.stdout.indexOf('| template |')), 3);
    expect(r.stdout.split('\n')[0]).toMatch(/^## pipewright audit: \\\\x1b\\\[31mred<br>::error file=README\.md::forged\\\|pipe &lt;img /);
    for (const row of violationRows.slice(2))
      expect(cells(row)[3]).toBe(
        ' step s.r uses image \\\\x1b\\[31mred<br>::error file=README.md::forged\\|pipe &lt;img src=x onerror=alert(1)&gt; \\\\u202eevil, which is not on the allow-list ',
      );
  });

  test('audit --format json keeps every value exact', async () => {
    const dir = fleet();
    const report = JSON.parse(
      (await runCli(['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'json'], dir)).stdout,
    ) as AuditReport;
    expect(report.policy).toBe(HOSTILE);
    expect(report.violations.map((v) => v.file).sort()).toEqual(['ok.yaml', HOSTILE_FILE]);
    for (const v of report.violations) expect(v.message).toBe(`step s.r uses image ${HOSTILE}, which is not on the allow-list`);
    const broken = report.results.find((p) => p.file === 'broken.yaml')!;
    expect(broken.diagnostics.map((d) => d.message).join('\n')).toContain(HOSTILE);
  });

  test('impact: table lines escaped, one markdown row per consumer, json exact', async () => {
    const dir = fleet();
    writeFileSync(join(dir, 'cand.yaml'), SVC('1.1.0', `, allowedValues: [${HOSTILE_YAML}]`));
    const args = ['impact', 'account.svc', 'ok.yaml', HOSTILE_FILE, '--candidate', 'cand.yaml', '-t', 'templates'];
    const table = await runCli([...args, '--format', 'table'], dir);
    expect(table.code).toBe(1);
    expectSafe(table.stdout);
    expect(table.stdout).toContain(`x|<img src=x>\\n::error::y\\x1b[31m.yaml (p): broken`);
    expect(table.stdout.split('\n').filter((l) => l.includes(' PW3002 '))).toEqual([
      `  ok.yaml:12:120: PW3002 input 'mode': 'fast' is not one of ${HOSTILE_SHOWN}`,
      `  x|<img src=x>\\n::error::y\\x1b[31m.yaml:12:120: PW3002 input 'mode': 'fast' is not one of ${HOSTILE_SHOWN}`,
    ]);
    const md = await runCli([...args, '--format', 'markdown'], dir);
    const rows = expectTable(md.stdout, 3);
    expect(rows).toHaveLength(2 + 2);
    expect(rows).toContain(
      "| `x\\|<img src=x>\\n::error::y\\x1b[31m.yaml` p | broken | PW3002 input 'mode': 'fast' is not one of \\\\x1b\\[31mred<br>::error file=README.md::forged\\|pipe &lt;img src=x onerror=alert(1)&gt; \\\\u202eevil |",
    );
    const json = JSON.parse((await runCli([...args, '--format', 'json'], dir)).stdout) as ImpactReport;
    expect(json.entries.map((e) => e.file).sort()).toEqual(['ok.yaml', HOSTILE_FILE]);
    for (const e of json.entries) expect(e.diagnostics[0]!.message).toBe(`input 'mode': 'fast' is not one of ${HOSTILE}`);
  });
});

describe('compile --explain', () => {
  test('prints names from the pipeline on one line, control characters escaped', async () => {
    const dir = tempDir({
      'p.yaml': onePipeline(
        '              - step: {type: Run, name: "a\\u001b[2Jb\\n::error::x", identifier: r, spec: {shell: Sh, command: echo}}\n',
      ).replace('name: t', 'name: "t\\u001b[31m\\n::error::forged"'),
    });
    const r = await runCli(['compile', 'p.yaml', '--explain'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toMatch(/^\s*::/m);
    expect(r.stdout).toContain('t\\x1b[31m\\n::error::forged');
  });
});
