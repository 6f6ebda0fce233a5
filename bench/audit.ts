/**
 * `npm run bench -- audit`: generated fleets of 250, 500 and 1,000 pipelines (about 50 steps
 * each over 5 stages, sharing 30 templates) audited with a 10-rule policy.
 *
 * - In process, warm template cache and JIT (one source for the fleet, as the CLI has):
 *   median of 3 rounds per size, each beside the baseline of the same round — reading and
 *   parsing every file of the fleet with the `yaml` library, which any tool must at least do.
 * - The CLI end to end in a fresh process (`pipewright audit`, start-up and cold JIT
 *   included), one thread and 2 worker threads, and `pipewright impact` likewise.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { findPipelines, loadPolicy, runAudit, runImpact, type AuditReport } from '../audit/index.js';
import { digestOf, DirectorySource, refOfTemplate } from '../compiler/index.js';
import { createToken, RegistryClient, startRegistry } from '../registry/index.js';
import { fleetPipeline, writeTemplates } from '../test/support/generate.js';

export const POLICY = `policy:
  name: bench
  rules:
    - {id: r1, match: {kind: [background, service]}, require: {readiness: true}}
    - {id: r2, match: {kind: [background]}, require: {fromTemplate: [account.step_9, account.step_19, account.step_29]}}
    - {id: r3, match: {template: account.step_3}, require: {templateVersion: {ref: account.step_3, range: ">=1.0.0"}}}
    - {id: r4, scope: pipeline, require: {notDeprecated: true}}
    - {id: r5, scope: pipeline, severity: warning, require: {locked: true}}
    - {id: r6, scope: stage, match: {stage: [s0]}, require: {contains: {template: account.step_0}}}
    - {id: r7, match: {image: "."}, require: {images: ["^registry\\\\.local/"]}}
    - {id: r8, scope: pipeline, require: {stageOrder: [s0, s1, s2]}}
    - {id: r9, match: {kind: [run]}, assert: {required: [timeoutMs]}}
    - {id: r10, scope: stage, match: {stageType: [CI]}, assert: {properties: {backend: {enum: [host, docker]}}}}
`;

const SIZES = [250, 500, 1000];
const ROUNDS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (n: number, ms: number) => `${((n / ms) * 1000).toFixed(0)} pipelines/s`;

export async function benchAudit(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-audit-'));
  const templateFiles = writeTemplates(dir);
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  const policy = loadPolicy('policy.yaml', POLICY);
  for (const n of SIZES) {
    for (let i = 0; i < n; i++) {
      mkdirSync(join(dir, `fleet-${n}`, `t${i % 20}`), { recursive: true });
      writeFileSync(join(dir, `fleet-${n}`, `t${i % 20}`, `p${i}.yaml`), fleetPipeline(i));
    }
  }
  const source = new DirectorySource([join(dir, 'templates')]);
  const audit = (n: number) => runAudit({ paths: [join(dir, `fleet-${n}`)], policy, sourcesFor: () => [source] });
  // Warm the template cache (read once per source) and the JIT with a whole fleet.
  await audit(250);

  console.log('audit benchmark: about 50 steps per pipeline, 30 shared templates, 10-rule policy');
  console.log(`in process, warm template cache, median of ${ROUNDS} rounds; baseline: read + yaml.parseAllDocuments of every file`);
  const inProcess: { n: number; ms: number; parseMs: number }[] = [];
  for (const n of SIZES) {
    const ms: number[] = [];
    const parseMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now();
      for (const f of findPipelines([join(dir, `fleet-${n}`)]).files) parseAllDocuments(readFileSync(f, 'utf8'));
      parseMs.push(performance.now() - t0);
      t0 = performance.now();
      const report = await audit(n);
      ms.push(performance.now() - t0);
      if (report.summary.pipelines !== n || report.summary.failedToCompile) throw new Error(`the ${n}-pipeline fleet did not compile`);
    }
    inProcess.push({ n, ms: median(ms), parseMs: median(parseMs) });
    const last = inProcess.at(-1)!;
    console.log(
      `${String(n).padStart(5)} pipelines: ${last.ms.toFixed(0)} ms = ${rate(n, last.ms)} (baseline ${last.parseMs.toFixed(0)} ms; ratio ${(last.ms / last.parseMs).toFixed(2)})`,
    );
  }

  // The CLI as a user runs it: a fresh process, node start-up and a cold JIT included.
  const bin = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
  // Asynchronous: the registry variant below serves from this very process.
  const cli = async (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const t0 = performance.now();
    try {
      await promisify(execFile)(process.execPath, [bin, ...args], { cwd: dir, env, maxBuffer: 1 << 26 });
    } catch (e) {
      // exit 1 means violations were found, which this fleet has by design
      if ((e as { code?: number }).code !== 1) throw e;
    }
    return performance.now() - t0;
  };
  const medianOf = async (run: () => Promise<number>) => {
    const xs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) xs.push(await run());
    return median(xs);
  };
  const startup = await medianOf(() => cli(['--version']));
  const auditArgs = ['audit', 'fleet-1000', '--policy', 'policy.yaml', '-t', 'templates', '--format', 'json', '-o', 'report.json'];
  const cliOne = await medianOf(() => cli([...auditArgs, '--workers', '1']));
  const cliTwo = await medianOf(() => cli([...auditArgs, '--workers', '2']));
  const readReport = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as AuditReport;
  const summary = readReport('report.json').summary;
  if (summary.pipelines !== 1000) throw new Error('the CLI did not audit the fleet');
  console.log(`CLI end to end, fresh process (node start-up ${startup.toFixed(0)} ms included), median of ${ROUNDS}:`);
  console.log(` 1000 pipelines, 1 thread:          ${cliOne.toFixed(0)} ms = ${rate(1000, cliOne)}`);
  console.log(` 1000 pipelines, 2 worker threads:  ${cliTwo.toFixed(0)} ms = ${rate(1000, cliTwo)}`);

  // The same templates from a registry on loopback (published once), template cache warm.
  const registry = await startRegistry({ db: join(dir, 'registry.db'), port: 0, log: () => {} });
  let cliRegistry: number;
  try {
    const token = createToken(registry.db, 'bench', 'publish');
    const client = new RegistryClient({ url: registry.url, token });
    for (const f of templateFiles) {
      const text = readFileSync(f, 'utf8');
      const t = (parse(text) as { template: { identifier: string; versionLabel: unknown } }).template;
      await client.request('PUT', `/api/v1/templates/${refOfTemplate(t)}/versions/${String(t.versionLabel)}`, { yaml: text });
    }
    const env = { ...process.env, PIPEWRIGHT_CACHE: join(dir, 'cache') };
    const args = [
      'audit',
      'fleet-1000',
      '--policy',
      'policy.yaml',
      '--registry',
      registry.url,
      '--token',
      token,
      '--format',
      'json',
      '-o',
      'report-registry.json',
      '--workers',
      '1',
    ];
    await cli(args, env); // fills the template cache
    cliRegistry = await medianOf(() => cli(args, env));
  } finally {
    await registry.close();
  }
  if (readReport('report-registry.json').summary.failedToCompile !== 0) throw new Error('the registry audit did not compile the fleet');
  console.log(
    ` 1000 pipelines, 1 thread, templates from a registry on loopback (warm cache): ${cliRegistry.toFixed(0)} ms = ${rate(1000, cliRegistry)}`,
  );

  // Impact of a candidate of account.step_3 that changes a default.
  const text = readFileSync(join(dir, 'templates', 'step-3.yaml'), 'utf8')
    .replace(/versionLabel: .*/, 'versionLabel: 1.9.0')
    .replace('default: info', 'default: warn');
  writeFileSync(join(dir, 'candidate.yaml'), text);
  const value: unknown = parse(text);
  const candidate = { ref: 'account.step_3', version: '1.9.0', digest: digestOf(value), file: 'candidate.yaml', value };
  let consumers = 0;
  let changed = 0;
  const impactRuns: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const impact = await runImpact({ candidate, paths: [join(dir, 'fleet-1000')], sourcesFor: () => [source], policy });
    impactRuns.push(performance.now() - t0);
    ({ consumers, changed } = impact);
  }
  const impactMs = median(impactRuns);
  const impactCli = await medianOf(() =>
    cli([
      'impact',
      'account.step_3',
      'fleet-1000',
      '--candidate',
      'candidate.yaml',
      '-t',
      'templates',
      '--policy',
      'policy.yaml',
      '--format',
      'json',
    ]),
  );
  console.log(
    `impact of account.step_3@1.9.0 over 1,000 pipelines (${consumers} consumers, ${changed} changed): ${impactMs.toFixed(0)} ms in process, ${impactCli.toFixed(0)} ms CLI end to end`,
  );

  const r1000 = inProcess.find((r) => r.n === 1000)!;
  const perSecond = (1000 / r1000.ms) * 1000;
  const linear = inProcess.map((r) => r.ms / r.n);
  console.log(`linearity: ${linear.map((x) => x.toFixed(2)).join(' / ')} ms per pipeline at ${SIZES.join(' / ')}`);
  console.log(`${perSecond >= 500 ? 'ok  ' : 'MISS'} at least 500 pipelines/s in process (${perSecond.toFixed(0)})`);
  console.log(
    `${(1000 / cliOne) * 1000 >= 500 ? 'ok  ' : 'MISS'} at least 500 pipelines/s end to end (${((1000 / cliOne) * 1000).toFixed(0)})`,
  );
  console.log(`${impactCli < 5000 ? 'ok  ' : 'MISS'} impact under 5 s end to end (${(impactCli / 1000).toFixed(2)} s)`);
}
