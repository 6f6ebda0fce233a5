/**
 * Generated corpus (issue 14, point 5): a few thousand realistic Harness v0 pipelines from
 * generate.ts are validated and compiled (--partial) in process; each must validate and
 * compile without errors, carry no PW2007 (the generator writes only Harness fields, so an
 * unknown field means pipewright misses one), and give a plan whose step ids are unique,
 * whose `needs` name existing steps and whose output references point at steps that run
 * before. The first few are also written to disk and validated by the built CLI.
 *
 * Reproduce: PIPEWRIGHT_CORPUS_GEN_SEED=<seed> (printed in the test name) and the failing
 * index (printed in the failure); PIPEWRIGHT_CORPUS_GEN_N sets the count (default 3000);
 * PIPEWRIGHT_CORPUS_GEN_GAPS=name,name turns KNOWN_GAPS on (none open now);
 * PIPEWRIGHT_CORPUS_GEN_DUMP=DIR writes every generated pipeline to DIR.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compile, formatDiagnostic, validateFiles, type Diagnostic } from '../../compiler/index.js';
import type { Plan } from '../../schemas/plan.js';
import { REPO, tempDir } from '../helpers.js';
import { GAP_NAMES, generatePipeline, type GapName } from './generate.js';

const SEED = Number(process.env['PIPEWRIGHT_CORPUS_GEN_SEED'] ?? 20240614);
const N = Number(process.env['PIPEWRIGHT_CORPUS_GEN_N'] ?? 3000);
const GAPS = Object.fromEntries(
  (process.env['PIPEWRIGHT_CORPUS_GEN_GAPS'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((g) => {
      if (!GAP_NAMES.includes(g as GapName)) throw new Error(`unknown gap '${g}' (known: ${GAP_NAMES.join(', ')})`);
      return [g, true];
    }),
) as Partial<Record<GapName, boolean>>;
const DUMP = process.env['PIPEWRIGHT_CORPUS_GEN_DUMP'];

/** Problems with one plan's invariants, as text. */
export function planProblems(plan: Plan): string[] {
  const out: string[] = [];
  const ids = new Set<string>();
  for (const s of plan.steps) {
    if (ids.has(s.id)) out.push(`duplicate plan step id ${s.id}`);
    ids.add(s.id);
  }
  const stageIds = new Set(plan.stages.map((s) => s.id));
  const stageBefore = new Map<string, Set<string>>();
  const ancestorsOfStage = (id: string): Set<string> => {
    const known = stageBefore.get(id);
    if (known) return known;
    const set = new Set<string>();
    stageBefore.set(id, set);
    for (const n of plan.stages.find((s) => s.id === id)?.needs ?? []) {
      set.add(n);
      for (const a of ancestorsOfStage(n)) set.add(a);
    }
    return set;
  };
  for (const st of plan.stages) for (const n of st.needs) if (!stageIds.has(n)) out.push(`stage ${st.id} needs unknown stage ${n}`);
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const stepBefore = new Map<string, Set<string>>();
  const ancestorsOfStep = (id: string): Set<string> => {
    const known = stepBefore.get(id);
    if (known) return known;
    const set = new Set<string>();
    stepBefore.set(id, set);
    for (const n of byId.get(id)?.needs ?? []) {
      set.add(n);
      for (const a of ancestorsOfStep(n)) set.add(a);
    }
    return set;
  };
  for (const s of plan.steps) {
    for (const n of s.needs) if (!byId.has(n)) out.push(`step ${s.id} needs unknown step ${n}`);
    for (const r of s.refs ?? []) {
      if (r.kind !== 'output') continue;
      const target = r.step ? byId.get(r.step) : undefined;
      if (!target) {
        out.push(`step ${s.id}: ${r.expr} points at unknown step ${r.step}`);
        continue;
      }
      const runsBefore = target.stage === s.stage ? ancestorsOfStep(s.id).has(target.id) : ancestorsOfStage(s.stage).has(target.stage);
      if (!runsBefore) out.push(`step ${s.id}: ${r.expr} points at ${target.id}, which does not run before it`);
    }
  }
  for (const st of plan.stages) {
    for (const r of st.refs ?? []) {
      if (r.kind !== 'output') continue;
      const target = r.step ? byId.get(r.step) : undefined;
      if (!target || !ancestorsOfStage(st.id).has(target.stage))
        out.push(`stage ${st.id}: ${r.expr} points at ${r.step}, which does not run before it`);
    }
  }
  return out;
}

const show = (ds: Diagnostic[]) => ds.map((d) => formatDiagnostic(d)).join('\n');

describe('generated corpus', () => {
  test(`${N} generated pipelines validate and compile (seed ${SEED})`, async () => {
    expect(N).toBeGreaterThan(0);
    const dir = tempDir({}, 'pw-corpus-gen-');
    if (DUMP) mkdirSync(DUMP, { recursive: true });
    const features = new Map<string, number>();
    let warnings = 0;
    let steps = 0;
    let outputRefs = 0;
    try {
      for (let i = 0; i < N; i++) {
        const g = generatePipeline(SEED, i, { gaps: GAPS });
        for (const f of g.features) features.set(f, (features.get(f) ?? 0) + 1);
        const file = join(dir, `p${i}.yaml`);
        writeFileSync(file, g.text);
        if (DUMP) writeFileSync(join(DUMP, `p${i}.yaml`), g.text);
        const fail = (what: string, detail: string) =>
          new Error(
            `generated pipeline ${i} ${what} (reproduce: PIPEWRIGHT_CORPUS_GEN_SEED=${SEED}, index ${i}; generatePipeline(${SEED}, ${i}))\n${detail}\n--- pipeline ${i} ---\n${g.text}`,
          );

        const v = await validateFiles([file], { baseDir: dir });
        const vBad = v.diagnostics.filter((d) => d.severity === 'error' || d.code === 'PW2007');
        if (vBad.length) throw fail('does not validate', show(vBad));

        const r = await compile({ file, baseDir: dir, text: g.text, partial: true });
        const cBad = r.diagnostics.filter((d) => d.severity === 'error' || d.code === 'PW2007');
        if (cBad.length || !r.ok) throw fail('does not compile with --partial', show(cBad));
        warnings += r.diagnostics.length;
        if (r.plans.length !== 1) throw fail('gave no plan', '');
        const problems = planProblems(r.plans[0]!);
        if (problems.length) throw fail('gives a plan that breaks an invariant', problems.join('\n'));
        steps += r.plans[0]!.steps.length;
        outputRefs += r.plans[0]!.steps.reduce((n, s) => n + (s.refs ?? []).filter((x) => x.kind === 'output').length, 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The corpus exercises what it claims to (counts printed for the curious).
    const summary = [...features.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([f, n]) => `${f}=${n}`);
    console.log(
      `corpus-gen seed ${SEED}: ${N} pipelines, ${steps} plan steps, ${outputRefs} output references, ${warnings} diagnostics (warnings/info)\n${summary.join(' ')}`,
    );
    if (N >= 1000) {
      expect(outputRefs).toBeGreaterThan(N / 10);
      for (const f of [
        'stage-CI',
        'stage-Custom',
        'stage-Deployment',
        'stage-Approval',
        'parallel-stages',
        'parallel-steps',
        'step-group-depth-3',
        'matrix',
        'matrix-one-value-axis',
        'matrix-exclude',
        'maxConcurrency',
        'parallelism',
        'repeat',
        'output-ref',
        'stage-condition-output-ref',
        'variable-holds-output',
        'ternary',
        'condition-method',
        'runtime-input',
        'secret-variable',
        'number-variable',
        'variable-references-variable',
        'step-Background',
        'step-Plugin',
        'step-ShellScript',
        'step-Http',
        'step-type-unknown-to-pipewright',
        'containerized-step-group',
        'service-dependency',
        'anchor',
        'alias',
        'crlf',
        'bom',
        'codebase',
        'failure-strategies',
        'open-input-modifier-in-condition',
        'context-type-beside-step',
      ]) {
        expect(features.get(f) ?? 0, `feature ${f}`).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  const bin = join(REPO, 'dist', 'cli', 'bin.js');
  test.skipIf(!existsSync(bin))('the built CLI validates the first generated pipelines from disk', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 5; i++) files[`p${i}.yaml`] = generatePipeline(SEED, i, { gaps: GAPS }).text;
    const dir = tempDir(files, 'pw-corpus-gen-cli-');
    try {
      let out = '';
      try {
        out = execFileSync(process.execPath, [bin, 'validate', ...Object.keys(files)], {
          cwd: dir,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        throw new Error(`pipewright validate exited ${err.status} (seed ${SEED}, pipelines 0-4)\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      }
      expect(out).not.toMatch(/ error PW/);
      expect(out).not.toMatch(/PW2007/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
