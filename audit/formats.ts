/**
 * Audit report formats: table (terminals), json (`schemas/audit-report.schema.json`), SARIF
 * 2.1.0 (code scanning: one result per violation with its location), JUnit (one test case per
 * pipeline × rule) and Markdown (a pull-request summary).
 */
import type { AuditReport, VersionStatus } from './audit.js';
import type { Policy } from './policy.js';

export type Format = 'table' | 'json' | 'sarif' | 'junit' | 'markdown';
export const FORMATS: Format[] = ['table', 'json', 'sarif', 'junit', 'markdown'];

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

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

function table(r: AuditReport): string {
  const lines: string[] = [];
  for (const v of r.violations) lines.push(`${v.file}:${v.line}:${v.column}: ${v.severity} ${v.rule} ${v.message}`);
  for (const p of r.results.filter((x) => !x.ok)) {
    lines.push(`${p.file}: does not compile`);
    for (const d of p.diagnostics.slice(0, 5)) lines.push(`  ${d.file}:${d.line}:${d.column}: ${d.code} ${d.message}`);
  }
  for (const s of r.skipped) lines.push(`${s.file}: skipped (${s.reason})`);
  if (r.inventory.length) {
    lines.push('', 'template inventory (version: uses in pipelines)');
    for (const t of r.inventory) {
      const versions = t.versions.map((v) => `${v.version}: ${v.uses} in ${v.pipelines}${statusMarks(v).map((m) => ` [${m}]`).join('')}${v.drift ? ` [${v.drift} behind ${t.stable}]` : ''}`);
      lines.push(`  ${t.ref}${t.stable ? ` (stable ${t.stable})` : ''}: ${versions.join('; ')}`);
    }
  }
  const s = r.summary;
  lines.push('', `policy ${r.policy}: ${s.pipelines} pipelines in ${s.files} files, ${s.failedToCompile} not compiling, ${s.errors} errors, ${s.warnings} warnings`);
  return lines.join('\n') + '\n';
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
              ...policy.rules.map((rule) => ({ id: rule.id, shortDescription: { text: rule.description }, defaultConfiguration: { level: rule.severity === 'error' ? 'error' : 'warning' } })),
              { id: 'compile', shortDescription: { text: 'the pipeline compiles' }, defaultConfiguration: { level: 'error' } },
            ],
          },
        },
        results: [
          ...r.violations.map((v) => ({
            ruleId: v.rule,
            level: v.severity === 'error' ? 'error' : 'warning',
            message: { text: v.message },
            locations: [{ physicalLocation: { artifactLocation: { uri: v.file }, region: { startLine: v.line, startColumn: v.column } } }],
          })),
          ...r.results
            .filter((p) => !p.ok)
            .flatMap((p) =>
              p.diagnostics.slice(0, 20).map((d) => ({
                ruleId: 'compile',
                level: 'error',
                message: { text: `${d.code} ${d.message}` },
                locations: [{ physicalLocation: { artifactLocation: { uri: d.file }, region: { startLine: d.line, startColumn: d.column } } }],
              })),
            ),
        ],
      },
    ],
  };
}

function junit(r: AuditReport, policy: Policy): string {
  const cases: string[] = [];
  let failures = 0;
  for (const p of r.results) {
    const rules = [{ id: 'compile' }, ...policy.rules];
    for (const rule of rules) {
      const problems = rule.id === 'compile' ? (p.ok ? [] : p.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.code} ${d.message}`)) : p.violations.filter((v) => v.rule === rule.id && v.severity === 'error').map((v) => `${v.file}:${v.line}:${v.column}: ${v.message}`);
      const name = `${xml(rule.id)}`;
      if (problems.length) {
        failures++;
        cases.push(`    <testcase classname="${xml(p.file)}" name="${name}"><failure message="${xml(problems[0]!)}">${xml(problems.join('\n'))}</failure></testcase>`);
      } else cases.push(`    <testcase classname="${xml(p.file)}" name="${name}"/>`);
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pipewright audit">\n  <testsuite name="${xml(r.policy)}" tests="${cases.length}" failures="${failures}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

function markdown(r: AuditReport): string {
  const s = r.summary;
  const lines = [`## pipewright audit: ${r.policy}`, '', `${s.pipelines} pipelines in ${s.files} files · ${s.failedToCompile} not compiling · **${s.errors} errors** · ${s.warnings} warnings`, ''];
  if (r.violations.length) {
    lines.push('| severity | rule | where | message |', '| --- | --- | --- | --- |');
    for (const v of r.violations) lines.push(`| ${v.severity} | \`${v.rule}\` | \`${v.file}:${v.line}\` | ${v.message.replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  if (r.inventory.length) {
    lines.push('| template | stable | versions in use |', '| --- | --- | --- |');
    for (const t of r.inventory) lines.push(`| \`${t.ref}\` | ${t.stable ?? '-'} | ${t.versions.map((v) => `${v.version} (${v.uses})${v.drift ? ` ⚠ ${v.drift}` : ''}${statusMarks(v).map((m) => ` ${m}`).join('')}`).join(', ')} |`);
  }
  return lines.join('\n') + '\n';
}

/** Marks for a version's status: deprecated (sunset date, or past it), yanked. */
function statusMarks(v: VersionStatus, today = new Date().toISOString().slice(0, 10)): string[] {
  const marks: string[] = [];
  if (v.deprecated) marks.push(v.sunset ? `deprecated, ${v.sunset.slice(0, 10) < today ? 'past its sunset' : 'sunset'} ${v.sunset.slice(0, 10)}` : 'deprecated');
  if (v.yanked) marks.push('yanked');
  return marks;
}
