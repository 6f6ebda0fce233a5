/**
 * Running a plan: stages in order of their `needs` (stages of a parallel block together),
 * each through a `StageRun`; one memoized cleanup path that normal completion, failures and
 * signals all use; the state file for `gc`; `report.json` at the end.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConditionError, evaluateCondition } from '../schemas/index.js';
import { imageOf, type ExecutedStep, type Plan, type PlanStage, type PlanStep } from '../schemas/index.js';
import type { Backend, Handle } from './backend.js';
import { HostBackend } from './host-backend.js';
import type { Console } from './logs.js';
import { DockerBackend } from './docker-backend.js';
import { markedProcesses, stopProcesses } from './escaped.js';
import { processStartTime, stopGroup } from './process-group.js';
import { resolveStageCondition, type RefContext } from './refs.js';
import { stageCopies } from './run-strategy.js';
import type { RunReport, StageResult, StepResult } from './report.js';
import { StageRun } from './scheduler.js';
import { shouldRun } from './decisions.js';
import { skippedResult } from './step-result.js';
import { Masker } from './secrets.js';
import { StateFile } from './state.js';

export interface RunOptions {
  /** Folder holding `runs/` (default `.pipewright` in the cwd). */
  home?: string;
  runId?: string;
  /** Working directory of every step (default: a fresh `runs/<runId>/workspace`). */
  workspace?: string;
  concurrency?: number;
  graceMs?: number;
  silenceMs?: number;
  secrets?: Record<string, string>;
  /** Live output; omitted = quiet. */
  console?: Console;
  /** Variables every step inherits (default: PATH, HOME, USER, LANG, TMPDIR, TERM of this process). */
  baseEnv?: Record<string, string>;
  /** Backend per step; default the host backend. */
  backend?: (step: ExecutedStep) => Backend;
  /** Run facts for runtime expressions (`pipeline.sequenceId`, ...). */
  facts?: Record<string, string>;
  /** Steps with an image run in Docker through this CLI (`docker`, or PIPEWRIGHT_DOCKER). */
  docker?: { bin: string; network?: string };
}

const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM', 'TZ', 'SHELL'];

/** A run id that sorts by time: `20261128-023100-a1b2c3`. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(3).toString('hex')}`;
}

export class Runner {
  readonly runId: string;
  readonly runDir: string;
  readonly workspace: string;
  private readonly state: StateFile;
  private readonly handles = new Map<string, Handle>();
  private readonly stageRuns = new Set<StageRun>();
  private abortedBy: NodeJS.Signals | undefined;
  private cleaning: Promise<void> | undefined;
  private readonly dockerBackend: DockerBackend | undefined;
  readonly masker = new Masker();

  constructor(
    private readonly plan: Plan,
    private readonly opts: RunOptions = {},
  ) {
    this.runId = opts.runId ?? newRunId();
    this.runDir = resolve(opts.home ?? '.pipewright', 'runs', this.runId);
    this.workspace = opts.workspace ? resolve(opts.workspace) : join(this.runDir, 'workspace');
    // 0700: logs, scripts and output files of a run are for the user who ran it.
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    chmodSync(this.runDir, 0o700);
    mkdirSync(this.workspace, { recursive: true });
    mkdirSync(join(this.runDir, 'outputs'), { recursive: true, mode: 0o700 });
    this.state = new StateFile(join(this.runDir, 'state.json'), this.runId);
    for (const v of Object.values(opts.secrets ?? {})) this.masker.add(v);
    if (opts.docker && plan.steps.some((s) => imageOf(s))) {
      const stages = new Map(plan.stages.map((st) => [st.id, { stage: st, steps: plan.steps.filter((s) => s.stage === st.id) }]));
      this.dockerBackend = new DockerBackend(
        {
          bin: opts.docker.bin,
          runId: this.runId,
          ...(opts.docker.network ? { network: opts.docker.network } : {}),
          runner: `${process.pid}:${processStartTime(process.pid) ?? 0}`,
          workspace: this.workspace,
          outputsDir: join(this.runDir, 'outputs'),
        },
        stages,
      );
    }
  }

  /** The signal that aborted the run, if any. */
  get abortSignal(): NodeJS.Signals | undefined {
    return this.abortedBy;
  }

  /**
   * Stops everything the run started, once: the single cleanup path for success, failure,
   * timeouts and signals.
   */
  cleanup(): Promise<void> {
    return (this.cleaning ??= (async () => {
      const graceMs = this.opts.graceMs ?? 10_000;
      await Promise.all([...this.state.pgids.map((pgid) => stopGroup(pgid, graceMs)), this.dockerBackend?.removeAll()]);
      // Whatever escaped a step's group and still carries the run's marker goes too (again
      // while new ones appear: a process may restart itself on SIGTERM).
      for (let round = 0; round < 3; round++) {
        const escaped = markedProcesses(this.runId);
        if (escaped.length === 0) break;
        await stopProcesses(
          escaped.map((e) => e.pid),
          graceMs,
          { killOnly: round > 0 },
        );
      }
    })());
  }

  /** Aborts the run (SIGINT, SIGTERM): running steps are stopped, nothing new starts. */
  abort(signal: NodeJS.Signals): void {
    if (this.abortedBy) return;
    this.abortedBy = signal;
    for (const s of this.stageRuns) s.notify();
    void this.cleanup();
  }

  async run(): Promise<RunReport> {
    const started = new Date();
    const t0 = performance.now();
    const plan = this.plan;
    const baseEnv =
      this.opts.baseEnv ?? Object.fromEntries(INHERITED.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
    const host = new HostBackend();
    const refs: RefContext = {
      outputs: new Map(),
      secrets: this.opts.secrets ?? {},
      facts: {
        'pipeline.sequenceId': '1',
        'pipeline.executionId': this.runId,
        'pipeline.identifier': plan.pipeline.identifier,
        'pipeline.name': plan.pipeline.name,
        ...(this.opts.facts ?? {}),
      },
      masker: this.masker,
    };
    const stageResults = new Map<string, StageResult>();
    const stageSteps = new Map<string, StepResult[]>();
    /** Stages the run copied, by plan stage id. */
    const copiesOf = new Map<string, string[]>();
    let failed = false;
    const remaining = [...plan.stages];
    const planSteps = new Set(plan.steps.map((s) => s.id));
    try {
      while (remaining.length) {
        // Every stage whose needs are done runs now (a parallel block runs together).
        const batch = remaining.filter((s) => s.needs.every((n) => stageResults.has(n)));
        if (batch.length === 0) throw new Error('stage needs form a cycle');
        for (const s of batch) remaining.splice(remaining.indexOf(s), 1);
        const runStage = async (stage: PlanStage, steps: PlanStep[]): Promise<{ stage: StageResult; steps: StepResult[] }> => {
          const decided: StageDecision = this.abortedBy ? { skip: 'run aborted' } : stageDecision(stage, failed, refs);
          if (!('run' in decided)) {
            const skipped = steps.map((s) => skippedResult(s, 'error' in decided ? decided.error : decided.skip));
            // The reason is on each of its steps (report.json and the summary show it).
            if ('error' in decided) return { stage: { id: stage.id, status: 'failed' as const, durationMs: 0 }, steps: skipped };
            return { stage: { id: stage.id, status: 'skipped' as const, durationMs: 0 }, steps: skipped };
          }
          const run = new StageRun(stage, steps, {
            runId: this.runId,
            planSteps,
            backend: this.opts.backend ?? ((step) => (step.image && this.dockerBackend ? this.dockerBackend : host)),
            runDir: this.runDir,
            workspace: this.workspace,
            baseEnv: { ...baseEnv, PIPEWRIGHT_RUN_ID: this.runId, PIPEWRIGHT_WORKSPACE: this.workspace, HARNESS_WORKSPACE: this.workspace },
            ...(this.opts.console ? { console: this.opts.console } : {}),
            masker: this.masker,
            refs,
            concurrency: this.opts.concurrency ?? 8,
            graceMs: this.opts.graceMs ?? 10_000,
            silenceMs: this.opts.silenceMs ?? 30_000,
            track: (step, handle) => this.track(step, handle),
            aborted: () => this.abortedBy !== undefined,
            note: (line) => this.opts.console?.write(`pipewright: ${this.masker.mask(line)}\n`),
          });
          this.stageRuns.add(run);
          const r = await run.run();
          this.stageRuns.delete(run);
          await this.dockerBackend?.endStage(stage.id);
          return r;
        };
        const results = (
          await Promise.all(
            batch.map(async (stage) => {
              const steps = plan.steps.filter((s) => s.stage === stage.id);
              if (!stage.strategy || this.abortedBy) return [await runStage(stage, steps)];
              // A strategy only the run knows: the stage's copies are made now, and run.
              let made: ReturnType<typeof stageCopies>;
              try {
                made = stageCopies(stage, steps, refs);
              } catch (e) {
                const error = this.masker.mask(e instanceof Error ? e.message : String(e));
                this.opts.console?.write(`pipewright: ${stage.id}: ${error}\n`);
                return [{ stage: { id: stage.id, status: 'failed' as const, durationMs: 0 }, steps: strategyFailed(steps, error) }];
              }
              const taken = made.copies.find((c) => plan.stages.some((x) => x.id === c.stage.id));
              if (taken) {
                const error = `its copy ${taken.stage.id} would have the id of another stage; rename one`;
                this.opts.console?.write(`pipewright: ${stage.id}: ${error}\n`);
                return [{ stage: { id: stage.id, status: 'failed' as const, durationMs: 0 }, steps: strategyFailed(steps, error) }];
              }
              if (made.copies.length === 0)
                return [
                  {
                    stage: { id: stage.id, status: 'skipped' as const, durationMs: 0 },
                    steps: steps.map((s) => skippedResult(s, "its stage's strategy made no copy")),
                  },
                ];
              copiesOf.set(
                stage.id,
                made.copies.map((c) => c.stage.id),
              );
              // The copies' steps are the run's steps: no stage's teardown may take them for escapees.
              for (const c of made.copies) for (const x of c.steps) planSteps.add(x.id);
              this.opts.console?.write(
                `pipewright: ${stage.id}: strategy expanded at run time into ${made.copies.length} cop${made.copies.length === 1 ? 'y' : 'ies'}${made.maxConcurrency ? ` (at most ${made.maxConcurrency} at once)` : ''}\n`,
              );
              const out: { stage: StageResult; steps: StepResult[] }[] = [];
              const width = made.maxConcurrency ?? made.copies.length;
              for (let i = 0; i < made.copies.length; i += width)
                out.push(...(await Promise.all(made.copies.slice(i, i + width).map((c) => runStage(c.stage, c.steps)))));
              // Later stages need the stage: it is done when every copy is, failed if one failed.
              const bad = out.find((r) => r.stage.status === 'failed' || r.stage.status === 'aborted');
              stageResults.set(stage.id, {
                id: stage.id,
                status: bad ? bad.stage.status : out.every((r) => r.stage.status === 'skipped') ? 'skipped' : 'success',
                durationMs: Math.max(...out.map((r) => r.stage.durationMs)),
              });
              return out;
            }),
          )
        ).flat();
        for (const r of results) {
          stageResults.set(r.stage.id, r.stage);
          stageSteps.set(r.stage.id, r.steps);
          if (r.stage.status === 'failed' || r.stage.status === 'aborted') failed = true;
        }
      }
    } finally {
      await this.cleanup();
    }
    const status = this.abortedBy ? 'aborted' : failed ? 'failed' : 'success';
    const report: RunReport = {
      apiVersion: 'pipewright.dev/v1',
      kind: 'RunReport',
      runId: this.runId,
      pipeline: { identifier: plan.pipeline.identifier, name: plan.pipeline.name },
      planDigest: plan.digest,
      status,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      // In plan order; a stage the run copied is there as its copies.
      stages: plan.stages.flatMap((s) =>
        (copiesOf.get(s.id) ?? [s.id]).map((id) => stageResults.get(id) ?? { id, status: 'skipped' as const, durationMs: 0 }),
      ),
      // In plan order; a step a run-time strategy expanded is there as its copies.
      steps: plan.stages.flatMap((st) =>
        copiesOf.has(st.id)
          ? copiesOf.get(st.id)!.flatMap((id) => stageSteps.get(id) ?? [])
          : (stageSteps.get(st.id) ?? plan.steps.filter((s) => s.stage === st.id).map((s) => skippedResult(s, 'not reached'))),
      ),
    };
    const masked = JSON.parse(this.masker.mask(JSON.stringify(report))) as RunReport;
    writeFileSync(join(this.runDir, 'report.json'), JSON.stringify(masked, null, 2) + '\n');
    return masked;
  }

  private track(step: string, handle: Handle | undefined): void {
    const prior = this.handles.get(step);
    if (prior && prior !== handle) {
      this.state.remove(prior.pgid);
      this.handles.delete(step);
    }
    if (handle && prior !== handle) {
      this.handles.set(step, handle);
      this.state.add(step, handle.pgid, handle.startTime, handle.links);
    }
  }
}

/** A stage runs, is skipped (why), or fails before it starts (why). */
type StageDecision = { run: true } | { skip: string } | { error: string };

/**
 * Whether a stage runs: its status (`pipelineStatus`), then its condition, as a step's. A
 * condition that still holds `<+...>` references (the plan records none a stage could
 * resolve) fails the stage, saying so, rather than running it as if it were true.
 */
function stageDecision(stage: PlanStage, failed: boolean, refs: RefContext): StageDecision {
  if (!shouldRun(stage.when, failed)) return { skip: 'stage skipped' };
  let condition: string | undefined;
  try {
    condition = resolveStageCondition(stage, refs);
  } catch (e) {
    return { error: `stage condition: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (condition === undefined) return { run: true };
  if (condition.includes('<+')) return { error: `the stage condition holds references the runtime cannot resolve: ${condition}` };
  try {
    return evaluateCondition(condition) ? { run: true } : { skip: `stage condition is false: ${condition}` };
  } catch (e) {
    return { error: `stage condition ${condition}: ${e instanceof ConditionError ? e.message : String(e)}` };
  }
}

/** A stage whose strategy could not be expanded: its first step carries the failure (the summary and --quiet show failed steps), the rest are skipped. */
function strategyFailed(steps: PlanStep[], error: string): StepResult[] {
  return steps.map((s, i) =>
    i === 0
      ? { ...skippedResult(s, `the stage's strategy: ${error}`), status: 'failed' as const, errorType: 'Unknown' as const }
      : skippedResult(s, `the stage's strategy: ${error}`),
  );
}
