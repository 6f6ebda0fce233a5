/**
 * `npm run bench -- compile`: compile time, peak RSS and the ratio to `YAML.parse` of the
 * same input files in the same process, for generated pipelines of 1,000 to 10,000 steps
 * over 20 stages using 50 templates nested up to three deep. Each size runs in its own child
 * process so peak RSS belongs to that size alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, DirectorySource } from '../compiler/index.js';
import { pipelineText, writeTemplates } from '../test/support/generate.js';

/** Milliseconds from process start until this module and the compiler were loaded. */
const loadedAt = performance.now();

export interface CompileFigures {
  steps: number;
  planSteps: number;
  /** Median of warm in-process compiles. */
  compileMs: number;
  /** Median of YAML.parse of the same files, same process, alternating with the compiles. */
  parseMs: number;
  ratio: number;
  /** One compile in a fresh process (what a CLI user waits for, without node start-up). */
  coldMs: number;
  /** Process start (node bootstrap, loading the compiler) to the plan: `loadedAt` + cold. */
  startToPlanMs: number;
  /** Peak RSS of that fresh process. */
  peakRssMb: number;
  runs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function setup(steps: number): { dir: string; file: string; inputs: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-compile-'));
  const templateFiles = writeTemplates(dir);
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, pipelineText(steps, 20));
  return { dir, file, inputs: [file, ...templateFiles] };
}

/** One compile in this fresh process: time and peak RSS. */
export async function measureCold(steps: number): Promise<{ coldMs: number; startToPlanMs: number; peakRssMb: number }> {
  const { dir, file } = setup(steps);
  const t0 = performance.now();
  const r = await compile({ file, baseDir: dir, sources: [new DirectorySource([join(dir, 'templates')], { baseDir: dir })] });
  const coldMs = performance.now() - t0;
  if (!r.ok) throw new Error('bench pipeline did not compile');
  return { coldMs, startToPlanMs: loadedAt + coldMs, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** Warm medians in this process (called in a child). */
export async function measure(steps: number, runs: number): Promise<Omit<CompileFigures, 'coldMs' | 'startToPlanMs' | 'peakRssMb'>> {
  const { dir, file, inputs } = setup(steps);
  const { parse } = await import('yaml');
  const compileOnce = async () => {
    const t0 = performance.now();
    const r = await compile({ file, baseDir: dir, sources: [new DirectorySource([join(dir, 'templates')], { baseDir: dir })] });
    const ms = performance.now() - t0;
    if (!r.ok) throw new Error(`bench pipeline did not compile: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
    return { ms, planSteps: r.plan!.steps.length };
  };
  const parseOnce = () => {
    const t0 = performance.now();
    for (const f of inputs) parse(readFileSync(f, 'utf8'));
    return performance.now() - t0;
  };
  // Warm up both paths (JIT), then alternate so noise hits both alike.
  await compileOnce();
  parseOnce();
  const c: number[] = [];
  const p: number[] = [];
  let planSteps = 0;
  for (let i = 0; i < runs; i++) {
    const r = await compileOnce();
    c.push(r.ms);
    planSteps = r.planSteps;
    p.push(parseOnce());
  }
  const compileMs = median(c);
  const parseMs = median(p);
  return { steps, planSteps, compileMs, parseMs, ratio: compileMs / parseMs, runs };
}

type WarmFigures = Awaited<ReturnType<typeof measure>>;
type ColdFigures = Awaited<ReturnType<typeof measureCold>>;

/** Runs every size in a child process and prints the table. */
export function benchCompile(args: string[]): void {
  const sizes = args.length ? args.map(Number) : [1000, 2000, 5000, 10000];
  const rows: CompileFigures[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const steps of sizes) {
    const runs = steps >= 10000 ? 5 : 9;
    /** The figures a child process prints as its last line (`measure` or `measureCold`). */
    const child = <T extends WarmFigures | ColdFigures>(mode: 'warm' | 'cold'): T =>
      JSON.parse(
        execFileSync(process.execPath, [self, mode, String(steps), String(runs)], { encoding: 'utf8', maxBuffer: 1 << 24 })
          .trim()
          .split('\n')
          .pop()!,
      ) as T;
    const cold = [0, 1, 2].map(() => child<ColdFigures>('cold'));
    rows.push({
      ...child<WarmFigures>('warm'),
      coldMs: median(cold.map((c) => c.coldMs)),
      startToPlanMs: median(cold.map((c) => c.startToPlanMs)),
      peakRssMb: Math.max(...cold.map((c) => c.peakRssMb)),
    });
  }
  console.log(
    'compile benchmark: warm = median of in-process compiles; ratio = warm compile / YAML.parse of the same files (same process);',
  );
  console.log(
    'cold = one compile in a fresh process (median of 3); start→plan adds node start-up and loading the compiler; peak RSS of that process',
  );
  console.log('steps  plan steps  warm ms  parse ms  ratio  cold ms  start→plan ms  peak RSS MB  warm ms per 1k steps');
  for (const r of rows) {
    console.log(
      `${String(r.steps).padStart(5)}  ${String(r.planSteps).padStart(10)}  ${r.compileMs.toFixed(1).padStart(7)}  ${r.parseMs.toFixed(1).padStart(8)}  ${r.ratio.toFixed(2).padStart(5)}  ${r.coldMs.toFixed(0).padStart(7)}  ${r.startToPlanMs.toFixed(0).padStart(13)}  ${r.peakRssMb.toFixed(0).padStart(11)}  ${((r.compileMs / r.planSteps) * 1000).toFixed(1).padStart(20)}`,
    );
  }
  const small = rows.find((r) => r.steps === 1000);
  const big = rows.find((r) => r.steps === 10000);
  if (small && big) {
    console.log(`growth 1k → 10k steps: ${(big.compileMs / small.compileMs).toFixed(1)}x time for 10x steps`);
    const checks = [
      [`1,000 steps under 300 ms (warm ${small.compileMs.toFixed(0)} ms, cold ${small.coldMs.toFixed(0)} ms)`, small.compileMs < 300],
      [
        `10,000 steps under 3 s (warm ${big.compileMs.toFixed(0)} ms, cold ${big.coldMs.toFixed(0)} ms)`,
        big.compileMs < 3000 && big.coldMs < 3000,
      ],
      [`10,000 steps under 300 MB`, big.peakRssMb < 300],
      [`ratio at most 3 (1k: ${small.ratio.toFixed(2)}, 10k: ${big.ratio.toFixed(2)})`, small.ratio <= 3 && big.ratio <= 3],
    ] as const;
    for (const [what, ok] of checks) console.log(`${ok ? 'ok  ' : 'MISS'} ${what}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, steps, runs] = process.argv.slice(2);
  if (mode === 'warm') console.log(JSON.stringify(await measure(Number(steps), Number(runs))));
  if (mode === 'cold') console.log(JSON.stringify(await measureCold(Number(steps))));
}
