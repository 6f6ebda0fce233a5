/**
 * `npm run bench -- audit`: a generated fleet of 1,000 pipelines (about 50 steps each,
 * sharing 30 templates) audited with a 10-rule policy, warm template cache (one source for
 * the fleet, as the CLI does): pipelines per second, at 250/500/1,000 pipelines for
 * linearity; then impact of a candidate version over the same fleet.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPipelines, loadPolicy, runAudit, runImpact } from '../audit/index.js';
import { digestOf, DirectorySource } from '../compiler/index.js';
import { parse } from 'yaml';
import { STEP_TEMPLATES, writeTemplates } from './generate.js';
import { availableParallelism } from 'node:os';
import { auditInWorkers } from '../cli/audit-pool.js';

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

export function pipeline(i: number): string {
  let out = `pipeline:\n  name: fleet ${i}\n  identifier: fleet_${i}\n  variables:\n    - {name: region, type: String, value: eu}\n  stages:\n`;
  for (let s = 0; s < 5; s++) {
    out += `    - stage:\n        name: s${s}\n        identifier: s${s}\n        type: CI\n        spec:\n          execution:\n            steps:\n`;
    for (let k = 0; k < 10; k++) {
      const n = (i * 7 + s * 10 + k) % STEP_TEMPLATES;
      out += k % 2 === 0
        ? `              - step: {name: t${k}, identifier: t${k}, template: {templateRef: account.step_${n}, versionLabel: ^1}}\n`
        : `              - step: {type: Run, name: r${k}, identifier: r${k}, timeout: 5m, spec: {image: registry.local/tool:${k}, shell: Sh, command: "echo <+stage.identifier> ${k}"}}\n`;
    }
  }
  return out;
}

export async function benchAudit(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-audit-'));
  writeTemplates(dir);
  const policy = loadPolicy('policy.yaml', POLICY);
  const rates: { n: number; ms: number; perSecond: number; steps: number }[] = [];
  for (const n of [250, 500, 1000]) {
    const fleet = join(dir, `fleet-${n}`);
    for (let i = 0; i < n; i++) {
      mkdirSync(join(fleet, `t${i % 20}`), { recursive: true });
      writeFileSync(join(fleet, `t${i % 20}`, `p${i}.yaml`), pipeline(i));
    }
    const source = new DirectorySource([join(dir, 'templates')]);
    // Warm the template cache (the folder is read once per source) and the JIT.
    await runAudit({ paths: [join(fleet, 't0')], policy, sourcesFor: () => [source] });
    const t0 = performance.now();
    const report = await runAudit({ paths: [fleet], policy, sourcesFor: () => [source] });
    const ms = performance.now() - t0;
    if (report.summary.failedToCompile) throw new Error(`${report.summary.failedToCompile} pipelines did not compile`);
    rates.push({ n, ms, perSecond: (n / ms) * 1000, steps: report.summary.pipelines ? 50 : 0 });
  }
  // The same fleets on every core (what `pipewright audit` does above 50 files).
  const parallel: { n: number; ms: number; perSecond: number }[] = [];
  for (const n of [250, 500, 1000]) {
    const sink = { write: () => true };
    const t0 = performance.now();
    const report = await auditInWorkers({ found: findPipelines([join(dir, `fleet-${n}`)]), policyFile: 'policy.yaml', policyText: POLICY, flags: { templates: [join(dir, 'templates')] }, io: { stdout: sink, stderr: sink, cwd: dir }, workers: availableParallelism() });
    const ms = performance.now() - t0;
    if (!report || report.summary.pipelines !== n) throw new Error('parallel audit did not cover the fleet');
    parallel.push({ n, ms, perSecond: (n / ms) * 1000 });
  }
  const fleet = join(dir, 'fleet-1000');
  const source = new DirectorySource([join(dir, 'templates')]);
  const text = (await import('node:fs')).readFileSync(join(dir, 'templates', 'step-3.yaml'), 'utf8').replace(/versionLabel: .*/, 'versionLabel: 1.9.0').replace('default: info', 'default: warn');
  const candidate = { ref: 'account.step_3', version: '1.9.0', digest: digestOf(parse(text)), file: 'candidate.yaml', value: parse(text) };
  const t0 = performance.now();
  const impact = await runImpact({ candidate, paths: [fleet], sourcesFor: () => [source], policy });
  const impactMs = performance.now() - t0;
  console.log('audit benchmark (1 process, warm template cache, 10-rule policy, about 50 steps per pipeline)');
  for (const r of rates) console.log(`${String(r.n).padStart(5)} pipelines, 1 thread: ${r.ms.toFixed(0)} ms = ${r.perSecond.toFixed(0)} pipelines/s`);
  for (const r of parallel) console.log(`${String(r.n).padStart(5)} pipelines, ${availableParallelism()} worker threads: ${r.ms.toFixed(0)} ms = ${r.perSecond.toFixed(0)} pipelines/s`);
  console.log(`impact of account.step_3@1.9.0 over 1,000 pipelines: ${impact.consumers} consumers, ${impact.changed} changed, ${impact.broken} broken in ${(impactMs / 1000).toFixed(2)} s`);
  const r1000 = parallel.find((r) => r.n === 1000)!;
  console.log(`${r1000.perSecond >= 500 ? 'ok  ' : 'MISS'} at least 500 pipelines/s`);
  console.log(`${impactMs < 5000 ? 'ok  ' : 'MISS'} impact under 5 s`);
}
