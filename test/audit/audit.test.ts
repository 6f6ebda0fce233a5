import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatReport, loadPolicy, PolicyError, runAudit, type AuditReport } from '../../audit/index.js';
import { DirectorySource, type ResolveRequest, type TemplateSource } from '../../compiler/index.js';
import { runCli, tempDir } from '../helpers.js';
import { validator } from '../../schemas/index.js';
import { POLICY, writeFleet } from './fleet.js';

/** The parts of a SARIF 2.1.0 log these tests read. */
interface SarifLog {
  version: string;
  runs: { results: { ruleId?: string; locations: { physicalLocation: { region: { startLine: number; endLine?: number } } }[] }[] }[];
}

/** Ajv 6 (jest-sarif's copy, which reads the draft-04 SARIF schema), as far as these tests use it. */
type Ajv6Class = new (options: { schemaId: string; allErrors: boolean; logger: boolean }) => {
  addMetaSchema(schema: object): unknown;
  compile(schema: object): { (data: unknown): boolean; errors?: unknown[] | null };
};

/** The folder source, with redis 1.0.0 deprecated (as a registry would report it). */
function sources(templates: string): () => TemplateSource[] {
  const dir = new DirectorySource([templates]);
  const wrapped: TemplateSource = {
    name: 'fleet',
    async resolve(reqs: ResolveRequest[]) {
      return (await dir.resolve(reqs)).map((o) =>
        o.ok && o.template.ref === 'account.redis_service' && o.template.version === '1.0.0'
          ? { ...o, template: { ...o.template, deprecation: { message: 'use 1.3', sunset: '2030-01-01' } } }
          : o,
      );
    },
  };
  return () => [wrapped];
}

async function audit(count = 40): Promise<{ report: AuditReport; fleet: ReturnType<typeof writeFleet> }> {
  const fleet = writeFleet(tempDir({}, 'pw-fleet-'), count);
  const report = await runAudit({
    paths: [fleet.dir],
    policy: loadPolicy('policy.yaml', POLICY),
    sourcesFor: sources(fleet.templates),
    stableOf: (ref) => Promise.resolve(ref === 'account.redis_service' ? '1.3.0' : undefined),
    baseDir: fleet.dir,
  });
  return { report, fleet };
}

describe('audit', () => {
  test('every rule kind finds exactly the pipelines that break it, at every nesting depth', async () => {
    const { report, fleet } = await audit();
    expect(report.summary.pipelines).toBe(40);
    for (const [rule, files] of fleet.expected) {
      const got = new Set(report.violations.filter((v) => v.rule === rule).map((v) => v.file));
      expect([...got].sort(), rule).toEqual([...files].sort());
    }
    expect(new Set(report.violations.map((v) => v.rule))).toEqual(new Set(fleet.expected.keys()));
    // Locations point at the offending node in the pipeline source, three levels down.
    for (const [file, line] of fleet.inlineLines) {
      const v = report.violations.find((x) => x.file === file && x.rule === 'readiness')!;
      expect(v).toMatchObject({ line, step: 'test.g.db' });
    }
    const deep = report.violations.find((v) => v.rule === 'redis-version')!;
    expect(deep.step).toBe('test.g.cache');
    expect(deep.message).toMatch(/account\.redis_service@1\.0\.0, outside >=1\.2\.0/);
  });

  test('inventory counts uses and pipelines; drift behind stable is graded', async () => {
    const { report } = await audit();
    const redis = report.inventory.find((t) => t.ref === 'account.redis_service')!;
    expect(redis.stable).toBe('1.3.0');
    expect(redis.versions).toEqual([
      { version: '1.3.0', uses: 8, pipelines: 8, deprecated: false },
      { version: '1.0.0', uses: 8, pipelines: 8, deprecated: true, sunset: '2030-01-01', drift: 'minor' },
    ]);
    expect(report.inventory.find((t) => t.ref === 'account.secret_scan')!.versions[0]).toMatchObject({ uses: 32 + 8, pipelines: 32 });
    expect(formatReport(report, loadPolicy('policy.yaml', POLICY), 'table')).toMatch(
      /1\.0\.0: 8 in 8 \[deprecated, sunset 2030-01-01\] \[minor behind 1\.3\.0\]/,
    );
  });

  test('yanked versions in use: marked in the inventory, rejected by notDeprecated', async () => {
    const fleet = writeFleet(tempDir({}, 'pw-fleet-yank-'), 10);
    const dir = new DirectorySource([fleet.templates]);
    const yanking: TemplateSource = {
      name: 'yanking',
      async resolve(reqs: ResolveRequest[]) {
        return (await dir.resolve(reqs)).map((o) =>
          o.ok && o.template.ref === 'account.redis_service' && o.template.version === '1.0.0'
            ? { ...o, template: { ...o.template, yanked: true } }
            : o,
        );
      },
    };
    const policy = loadPolicy('policy.yaml', POLICY);
    const report = await runAudit({ paths: [fleet.dir], policy, sourcesFor: () => [yanking], baseDir: fleet.dir });
    const redis = report.inventory.find((t) => t.ref === 'account.redis_service')!;
    expect(redis.versions.find((v) => v.version === '1.0.0')).toMatchObject({ deprecated: false, yanked: true });
    expect(redis.versions.find((v) => v.version === '1.3.0')!.yanked).toBeUndefined();
    const messages = report.violations.filter((v) => v.rule === 'not-deprecated').map((v) => v.message);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m).toMatch(/uses yanked account\.redis_service@1\.0\.0/);
    expect(formatReport(report, policy, 'table')).toMatch(/1\.0\.0: \d+ in \d+ \[yanked\]/);
    expect(formatReport(report, policy, 'markdown')).toMatch(/1\.0\.0 \(\d+\) yanked/);
    const validate = validator('audit-report');
    expect(validate(JSON.parse(formatReport(report, policy, 'json')))).toBe(true);
  });

  test('a pipeline that does not compile is reported and counted; the audit goes on', async () => {
    const fleet = writeFleet(tempDir({}, 'pw-fleet-'), 5);
    writeFileSync(
      join(fleet.dir, 'broken.yaml'),
      'pipeline:\n  identifier: b\n  stages:\n    - stage: {identifier: s, type: CI, spec: {execution: {steps: [{step: {identifier: x-y, type: Run, spec: {command: x}}}]}}}\n',
    );
    writeFileSync(join(fleet.dir, 'notes.yaml'), 'just: data\n');
    const report = await runAudit({
      paths: [fleet.dir, join(fleet.dir, 'notes.yaml'), join(fleet.dir, 'missing')],
      policy: loadPolicy('p.yaml', POLICY),
      sourcesFor: sources(fleet.templates),
      baseDir: fleet.dir,
    });
    expect(report.summary).toMatchObject({ files: 6, failedToCompile: 1 });
    expect(report.results.find((r) => r.file === 'broken.yaml')!.diagnostics[0]!.code).toBe('PW2004');
    expect(report.skipped.map((s) => s.reason)).toEqual(["no 'pipeline:' root", 'no such file or folder']);
    // The pull-request summary names the pipeline that does not compile and its first error.
    expect(formatReport(report, loadPolicy('p.yaml', POLICY), 'markdown')).toMatch(/^\| `broken\.yaml` \| `broken\.yaml:\d+:\d+` PW2004 /m);
    // SARIF underlines the identifier itself: the region ends where `x-y` ends.
    const sarif = JSON.parse(formatReport(report, loadPolicy('p.yaml', POLICY), 'sarif')) as SarifLog;
    const compileError = sarif.runs[0]!.results.find((r) => r.ruleId === 'compile')!;
    const col = readFileSync(join(fleet.dir, 'broken.yaml'), 'utf8').split('\n')[3]!.indexOf('x-y') + 1;
    expect(compileError.locations[0]!.physicalLocation.region).toEqual({ startLine: 4, startColumn: col, endLine: 4, endColumn: col + 3 });
  });

  test('formats: json, SARIF valid against the SARIF 2.1.0 schema, JUnit, Markdown, table', async () => {
    const { report } = await audit(10);
    const policy = loadPolicy('policy.yaml', POLICY);
    const json = JSON.parse(formatReport(report, policy, 'json')) as AuditReport;
    expect(json.summary).toEqual(report.summary);
    expect(validator('audit-report')(json), JSON.stringify(validator('audit-report').errors)).toBe(true);
    const sarif = JSON.parse(formatReport(report, policy, 'sarif')) as SarifLog;
    const require = createRequire(import.meta.url);
    const Ajv6 = require('../../node_modules/@microsoft/jest-sarif/node_modules/ajv') as Ajv6Class;
    const ajv = new Ajv6({ schemaId: 'id', allErrors: true, logger: false });
    ajv.addMetaSchema(require('../../node_modules/@microsoft/jest-sarif/node_modules/ajv/lib/refs/json-schema-draft-04.json') as object);
    const validate = ajv.compile(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object);
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(sarif.runs[0]!.results).toHaveLength(report.violations.length);
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBeGreaterThan(0);
    const junit = formatReport(report, policy, 'junit');
    expect(junit.match(/<testcase /g)).toHaveLength(10 * (policy.rules.length + 1));
    expect(junit.match(/<failure /g)!.length).toBe(
      new Set(report.violations.filter((v) => v.severity === 'error').map((v) => `${v.file}|${v.rule}`)).size,
    );
    expect(formatReport(report, policy, 'markdown')).toMatch(/^\| error \| `readiness` \| `team\d\/pipeline-0\.yaml:\d+` \|/m);
    expect(formatReport(report, policy, 'table')).toMatch(
      /^policy acme-standards: 10 pipelines in 10 files, 0 not compiling, \d+ errors, \d+ warnings$/m,
    );
  });

  test('worker threads give the same report as one thread', async () => {
    const fleet = writeFleet(tempDir({}, 'pw-fleet-par-'), 40);
    writeFileSync(join(fleet.dir, 'policy.yaml'), POLICY);
    const one = await runCli(['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'json', '--workers', '1'], fleet.dir);
    const two = await runCli(['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'json', '--workers', '2'], fleet.dir);
    expect(two.code).toBe(one.code);
    const a = JSON.parse(one.stdout) as AuditReport;
    const b = JSON.parse(two.stdout) as AuditReport;
    const sort = (r: { results: { file: string }[] }) => r.results.map((x) => JSON.stringify(x)).sort();
    expect(sort(b)).toEqual(sort(a));
    expect(b.summary).toEqual(a.summary);
    expect(b.inventory).toEqual(a.inventory);
  }, 60_000);

  test('a progress bar on a terminal for more than 50 files, ending at the total; none otherwise', async () => {
    const fleet = writeFleet(tempDir({}, 'pw-fleet-progress-'), 60);
    writeFileSync(join(fleet.dir, 'policy.yaml'), POLICY);
    const args = ['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'json', '--workers', '1'];
    const tty = await runCli(args, fleet.dir, { stderrIsTTY: true });
    const frames = tty.stderr.split('\r').filter(Boolean);
    expect(frames.length).toBeGreaterThan(10);
    expect(frames.length).toBeLessThanOrEqual(61);
    expect(frames.at(-1)).toBe(`[${'#'.repeat(30)}] 60/60\n`);
    expect(frames[0]).toMatch(/^\[#? *\] 1\/60$/);
    expect((await runCli(args, fleet.dir)).stderr).toBe('');
    expect((await runCli([...args, '--glob', 'pipeline-[0-3]?\\.'], fleet.dir, { stderrIsTTY: true })).stderr).toBe('');
  }, 60_000);

  test.each([
    ['unknown rule field', 'policy:\n  name: x\n  rules:\n    - id: a\n      requires: {readiness: true}\n', 5],
    ['bad regex', 'policy:\n  name: x\n  rules:\n    - id: a\n      match: {image: "(("}\n', 5],
    [
      'bad range',
      'policy:\n  name: x\n  rules:\n    - id: a\n      require: {templateVersion: {ref: account.a, range: "not a range"}}\n',
      5,
    ],
    ['bad assert schema', 'policy:\n  name: x\n  rules:\n    - id: a\n      assert: {type: 12}\n', 5],
    ['duplicate rule id', 'policy:\n  name: x\n  rules:\n    - id: a\n    - id: a\n', 5],
  ])('an invalid policy (%s) is a located error', (_what, text, line) => {
    try {
      loadPolicy('p.yaml', text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as PolicyError).diagnostics[0]).toMatchObject({ code: 'PW6001', file: 'p.yaml', line });
    }
  });

  test('the CLI: exit 1 on errors, 0 on warnings only, --fail-on warning, 2 for an invalid policy', async () => {
    const fleet = writeFleet(tempDir({}, 'pw-fleet-cli-'), 5);
    writeFileSync(join(fleet.dir, 'policy.yaml'), POLICY);
    const r = await runCli(['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'json'], fleet.dir);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as AuditReport).summary.pipelines).toBe(5);
    writeFileSync(
      join(fleet.dir, 'warn.yaml'),
      POLICY.split('    - id: not-deprecated')[0]!.replace(/ {4}- id: (background|readiness|redis)[\s\S]*$/, '') +
        '    - id: locked\n      severity: warning\n      scope: pipeline\n      require: {locked: true}\n',
    );
    const warn = await runCli(
      ['audit', '.', '--policy', 'warn.yaml', '-t', 'templates', '--format', 'table', '--glob', 'pipeline-[02]'],
      fleet.dir,
    );
    expect(warn.code).toBe(0);
    expect(warn.stdout).toMatch(/warning locked /);
    expect(
      (
        await runCli(
          ['audit', '.', '--policy', 'warn.yaml', '-t', 'templates', '--glob', 'pipeline-[02]', '--fail-on', 'warning'],
          fleet.dir,
        )
      ).code,
    ).toBe(1);
    writeFileSync(join(fleet.dir, 'bad.yaml'), 'policy:\n  name: x\n  rules:\n    - id: a\n      match: {image: "(("}\n');
    const bad = await runCli(['audit', '.', '--policy', 'bad.yaml'], fleet.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^bad\.yaml:5:\d+: error PW6001 /m);
    const sarif = await runCli(
      ['audit', '.', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'sarif', '-o', 'out.sarif'],
      fleet.dir,
    );
    expect(sarif.code).toBe(1);
    expect((JSON.parse(readFileSync(join(fleet.dir, 'out.sarif'), 'utf8')) as SarifLog).version).toBe('2.1.0');
  });
});
