/**
 * Audit report formats: table (terminals), json (`schemas/audit-report.schema.json`), SARIF
 * 2.1.0 (code scanning: one result per violation with its location), JUnit (a test case per
 * pipeline file × rule, see `junit`) and Markdown (a pull-request summary).
 */
import { printable, type Diagnostic } from '../compiler/index.js';
import type { AuditReport, PipelineResult, VersionStatus } from './audit.js';
import type { Violation } from './evaluate.js';
import type { Policy } from './policy.js';

export type Format = 'table' | 'json' | 'sarif' | 'junit' | 'markdown';
export const FORMATS: Format[] = ['table', 'json', 'sarif', 'junit', 'markdown'];

/**
 * Characters XML 1.0 does not allow even escaped (controls, U+FFFE/U+FFFF, lone surrogates):
 * anything outside its `Char` production, #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 * [#x10000-#x10FFFF] (by code point, so a lone surrogate matches and a pair does not).
 */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
/** Character data: markup escaped, a carriage return as a reference (parsers would fold it into a line feed), characters XML forbids as U+FFFD. */
const xml = (s: string) =>
  s
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;');
/** An attribute value: as `xml`, with line breaks and tabs as references (attribute normalization would make them spaces). */
const attr = (s: string) => xml(s).replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
const errorsOf = (p: PipelineResult) => p.diagnostics.filter((d) => d.severity === 'error');

/** Markdown punctuation that could start emphasis, code, a link or an image, end a cell, or escape the next character. */
const MARKDOWN_PUNCTUATION = /[\\`*~[\]|]/g;
/** An underscore that could open or close emphasis (one inside a word cannot, so `redis_service` stays as it is). */
const EMPHASIS_UNDERSCORE = /(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;

/** One line of text as inline Markdown that shows it literally: punctuation escaped, HTML as entities, controls through `printable`. */
function markdownLine(line: string): string {
  return printable(line)
    .replace(MARKDOWN_PUNCTUATION, '\\$&')
    .replace(EMPHASIS_UNDERSCORE, '\\_')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A value (from the user's files) as the text of a Markdown table cell that renders it as it
 * is: `|` and backslashes escaped, as are backticks, `*`, `~`, `[`, `]` and emphasis
 * underscores (no code, emphasis, link or image made by a value); `<`, `>`, `&` as entities (no
 * HTML); line breaks as `<br>` (the row stays one line); other controls and bidi overrides as
 * `printable` escapes.
 */
export function markdownCell(text: string): string {
  return text
    .split(/\r\n|\n/)
    .map(markdownLine)
    .join('<br>');
}

/**
 * A value (a file name, a rule id) as a Markdown code span in a table cell: fenced by more
 * backticks than any run in it, `|` escaped (GFM splits cells before code spans), line breaks
 * and controls as `printable` escapes. Code spans render no HTML, so `<` stays as it is.
 */
export function markdownCode(text: string): string {
  const shown = printable(text).replace(/\|/g, '\\|');
  const fence = '`'.repeat(Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = shown.startsWith('`') || shown.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/** The report in a format (`junit`: see `junit` below for its test cases). */
export function formatReport(report: AuditReport, policy: Policy, format: Format): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'sarif':
      return JSON.stringify(sarif(report, policy), null, 2) + '\n';
    case 'junit':
      return junit(report, policy);
    case 'markdown':
      return markdown(report);
    default:
      return table(report);
  }
}

/** Terminal text: every line through `printable`, so no value from a pipeline or policy acts on the terminal or the CI log. */
function table(r: AuditReport): string {
  const lines: string[] = [];
  for (const v of r.violations) lines.push(`${v.file}:${v.line}:${v.column}: ${v.severity} ${v.rule} ${v.message}`);
  for (const p of r.results.filter((x) => !x.ok)) {
    lines.push(`${p.file}: does not compile`);
    for (const d of errorsOf(p).slice(0, 5)) lines.push(`  ${d.file}:${d.line}:${d.column}: ${d.code} ${d.message}`);
  }
  for (const s of r.skipped) lines.push(`${s.file}: skipped (${s.reason})`);
  if (r.inventory.length) {
    lines.push('', 'template inventory (version: uses in pipelines)');
    for (const t of r.inventory) {
      const versions = t.versions.map(
        (v) =>
          `${v.version}: ${v.uses} in ${v.pipelines}${statusMarks(v)
            .map((m) => ` [${m}]`)
            .join('')}${v.drift ? ` [${v.drift} behind ${t.stable}]` : ''}`,
      );
      lines.push(`  ${t.ref}${t.stable ? ` (stable ${t.stable})` : ''}: ${versions.join('; ')}`);
    }
  }
  const s = r.summary;
  lines.push(
    '',
    `policy ${r.policy}: ${s.pipelines} pipelines in ${s.files} files, ${s.failedToCompile} not compiling, ${s.errors} errors, ${s.warnings} warnings`,
  );
  return lines.map(printable).join('\n') + '\n';
}

function sarif(r: AuditReport, policy: Policy): object {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pipewright',
            informationUri: 'https://pipewright.dev',
            rules: [
              ...policy.rules.map((rule) => ({
                id: rule.id,
                shortDescription: { text: rule.description },
                defaultConfiguration: { level: rule.severity === 'error' ? 'error' : 'warning' },
              })),
              { id: 'compile', shortDescription: { text: 'the pipeline compiles' }, defaultConfiguration: { level: 'error' } },
            ],
          },
        },
        results: [
          ...r.violations.map((v) => ({
            ruleId: v.rule,
            level: v.severity === 'error' ? 'error' : 'warning',
            message: { text: v.message },
            locations: [{ physicalLocation: { artifactLocation: { uri: v.file }, region: region(v) } }],
          })),
          ...r.results
            .filter((p) => !p.ok)
            .flatMap((p) =>
              errorsOf(p)
                .slice(0, 20)
                .map((d) => ({
                  ruleId: 'compile',
                  level: 'error',
                  message: { text: `${d.code} ${d.message}` },
                  locations: [{ physicalLocation: { artifactLocation: { uri: d.file }, region: region(d) } }],
                })),
            ),
        ],
      },
    ],
  };
}

/** A test case's outcome: an element (`error`, `failure` or `skipped`) and the lines it lists; none for a pass. */
type Outcome = { kind: 'error' | 'failure' | 'skipped'; lines: string[] } | undefined;

const diagnosticLine = (d: Diagnostic) => `${d.file}:${d.line}:${d.column}: ${d.code} ${d.message}`;
const violationLine = (v: Violation) => `${v.file}:${v.line}:${v.column}: ${v.message}`;

/**
 * JUnit: one test suite for the policy and, per pipeline file, a `compile` case and a case per
 * rule. A file that does not compile is only its `compile` case, with an `<error>` listing its
 * diagnostics (`file:line:col: CODE message`, one per line; its compile warnings after them):
 * its rules were never evaluated, so they are not shown as passing. An error violation makes
 * its rule's case a `<failure>`.
 *
 * Warnings — violations of a warning rule on that rule's case, compile warnings on the
 * `compile` case — make the case `<skipped>`, its `message` and its text listing them (one per
 * line). Not `<system-out>` of a passing case: GitLab reads system-out only for failed and
 * errored cases (a passing case shows no details), while a skipped case is counted in its test
 * summary and its text is shown in the case details; Jenkins' JUnit plugin counts skipped cases
 * in its summary and trend and shows the skip message on the case, whereas system-out is on the
 * case page only, and trimmed. Neither fails a build for skipped cases, as the exit code does
 * not for warnings (unless `--fail-on warning`). The price: "skipped" reads as "passed with
 * warnings" here, which the README says.
 */
function junit(r: AuditReport, policy: Policy): string {
  const cases: string[] = [];
  const counts = { failure: 0, error: 0, skipped: 0 };
  const add = (file: string, name: string, outcome: Outcome) => {
    const head = `    <testcase classname="${attr(file)}" name="${attr(name)}"`;
    if (!outcome) return void cases.push(`${head}/>`);
    counts[outcome.kind]++;
    const message = outcome.kind === 'skipped' ? outcome.lines.join('\n') : outcome.lines[0]!;
    cases.push(
      `${head}>\n      <${outcome.kind} message="${attr(message)}">${xml(outcome.lines.join('\n'))}</${outcome.kind}>\n    </testcase>`,
    );
  };
  for (const p of r.results) {
    const errors = errorsOf(p).map(diagnosticLine);
    const warnings = p.diagnostics.filter((d) => d.severity !== 'error').map(diagnosticLine);
    if (!p.ok) {
      add(p.file, 'compile', {
        kind: 'error',
        lines: [...(errors.length ? errors : [`${p.file}: does not compile`]), ...(warnings.length ? ['', 'warnings:', ...warnings] : [])],
      });
      continue;
    }
    add(p.file, 'compile', warnings.length ? { kind: 'skipped', lines: warnings } : undefined);
    const byRule = new Map<string, Violation[]>();
    for (const v of p.violations) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v]);
    for (const rule of policy.rules) add(p.file, rule.id, ruleOutcome(byRule.get(rule.id) ?? []));
  }
  const totals = `tests="${cases.length}" failures="${counts.failure}" errors="${counts.error}" skipped="${counts.skipped}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pipewright audit" ${totals}>\n  <testsuite name="${attr(r.policy)}" ${totals}>\n${cases.join('\n')}${cases.length ? '\n' : ''}  </testsuite>\n</testsuites>\n`;
}

/** A rule's case: a failure for error violations, skipped for warnings, else a pass. */
function ruleOutcome(violations: Violation[]): Outcome {
  const errors = violations.filter((v) => v.severity === 'error');
  if (errors.length) return { kind: 'failure', lines: errors.map(violationLine) };
  return violations.length ? { kind: 'skipped', lines: violations.map(violationLine) } : undefined;
}

/** A pull-request summary; every value from the user's files goes through `markdownCell` or `markdownCode`. */
function markdown(r: AuditReport): string {
  const s = r.summary;
  const lines = [
    `## pipewright audit: ${markdownCell(r.policy)}`,
    '',
    `${s.pipelines} pipelines in ${s.files} files · ${s.failedToCompile} not compiling · **${s.errors} errors** · ${s.warnings} warnings`,
    '',
  ];
  const failed = r.results.filter((x) => !x.ok);
  if (failed.length) {
    // Which pipelines do not compile, and why (its first error): a count alone sends the
    // reader to the CI log.
    lines.push('| not compiling | first error |', '| --- | --- |');
    for (const x of failed) {
      const d = x.diagnostics.find((e) => e.severity === 'error');
      lines.push(
        `| ${markdownCode(x.file)} | ${d ? `${markdownCode(`${d.file}:${d.line}:${d.column}`)} ${d.code} ${markdownCell(d.message)}` : '-'} |`,
      );
    }
    lines.push('');
  }
  if (r.violations.length) {
    lines.push('| severity | rule | where | message |', '| --- | --- | --- | --- |');
    for (const v of r.violations)
      lines.push(`| ${v.severity} | ${markdownCode(v.rule)} | ${markdownCode(`${v.file}:${v.line}`)} | ${markdownCell(v.message)} |`);
    lines.push('');
  }
  if (r.inventory.length) {
    lines.push('| template | stable | versions in use |', '| --- | --- | --- |');
    for (const t of r.inventory)
      lines.push(
        `| ${markdownCode(t.ref)} | ${markdownCell(t.stable ?? '-')} | ${t.versions
          .map((v) =>
            markdownCell(
              `${v.version} (${v.uses})${v.drift ? ` ⚠ ${v.drift}` : ''}${statusMarks(v)
                .map((m) => ` ${m}`)
                .join('')}`,
            ),
          )
          .join(', ')} |`,
      );
  }
  return lines.join('\n') + '\n';
}

/** Marks for a version's status: deprecated (sunset date, or past it), yanked. */
function statusMarks(v: VersionStatus, today = new Date().toISOString().slice(0, 10)): string[] {
  const marks: string[] = [];
  if (v.deprecated)
    marks.push(
      v.sunset ? `deprecated, ${v.sunset.slice(0, 10) < today ? 'past its sunset' : 'sunset'} ${v.sunset.slice(0, 10)}` : 'deprecated',
    );
  if (v.yanked) marks.push('yanked');
  return marks;
}

/** A SARIF region: the start, and the end when the diagnostic knows it (SARIF's endColumn is exclusive, as ours). */
function region(at: { line: number; column: number; endLine?: number; endColumn?: number }): Record<string, number> {
  const r: Record<string, number> = { startLine: at.line, startColumn: at.column };
  if (at.endLine !== undefined && at.endColumn !== undefined) {
    r['endLine'] = at.endLine;
    r['endColumn'] = at.endColumn;
  }
  return r;
}
