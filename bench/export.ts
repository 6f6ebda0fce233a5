/**
 * `npm run bench -- export [steps]`: exporting a plan of 10,000 steps (the compile benchmark's
 * generated pipeline: 20 stages, templates nested three deep, step groups, parallel blocks) to
 * an Argo Workflow, as an object and as YAML text, against compiling the same pipeline in the
 * same process. Medians of alternating runs; the ratio is export time / compile time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, DirectorySource } from '../compiler/index.js';
import { exportArgo, manifestYaml } from '../export/index.js';
import { pipelineText, writeTemplates } from '../test/support/generate.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchExport(args: string[]): Promise<void> {
  const steps = Number(args[0] ?? 10_000);
  const runs = Number(args[1] ?? 7);
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-export-'));
  writeTemplates(dir);
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, pipelineText(steps, 20));
  const compileOnce = async () => {
    const t0 = performance.now();
    const r = await compile({ file, baseDir: dir, sources: [new DirectorySource([join(dir, 'templates')], { baseDir: dir })] });
    if (!r.ok || !r.plan) throw new Error('bench pipeline did not compile');
    return { ms: performance.now() - t0, plan: r.plan };
  };
  const { plan } = await compileOnce();
  const exportOnce = () => {
    const t0 = performance.now();
    const r = exportArgo(plan, { imageDefault: 'alpine:3' });
    if (!r.manifest) throw new Error(`bench plan did not export: ${JSON.stringify(r.problems.slice(0, 3))}`);
    const objectMs = performance.now() - t0;
    const text = manifestYaml(r.manifest);
    return { objectMs, totalMs: performance.now() - t0, bytes: text.length };
  };
  exportOnce(); // warm-up
  const c: number[] = [];
  const o: number[] = [];
  const t: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    c.push((await compileOnce()).ms);
    const e = exportOnce();
    o.push(e.objectMs);
    t.push(e.totalMs);
    bytes = e.bytes;
  }
  const figures = {
    steps,
    planSteps: plan.steps.length,
    runs,
    compileMs: Math.round(median(c)),
    exportObjectMs: Math.round(median(o)),
    exportWithYamlMs: Math.round(median(t)),
    ratioToCompile: Number((median(t) / median(c)).toFixed(2)),
    yamlBytes: bytes,
    under1s: median(t) < 1000,
  };
  console.log(JSON.stringify(figures, null, 2));
}
