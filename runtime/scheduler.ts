/**
 * One stage of a run: an event-driven DAG over `needs` with a concurrency limit. A step starts
 * as soon as everything it needs has finished (or, for background steps and services, is
 * ready) — no waves. Background steps keep running until the stage ends; then every one of
 * them is stopped, whatever happened.
 *
 * This file is the stage's bookkeeping and its pump; running a step is `step-run.ts`,
 * run-time strategies `stage-expand.ts`, what runs and which failure rule applies `decisions.ts`.
 */
import { isExecuted, type ExecutedStep, type PlanStage, type PlanStep } from '../schemas/index.js';
import { failureAction, shouldRun } from './decisions.js';
import { EscapeLedger } from './escape-ledger.js';
import type { StageResult, StepResult, StepStatus } from './report.js';
import { copyGroup } from './run-strategy.js';
import { RELEASE_MS, type Live, type StageContext, type StageOps } from './stage-context.js';
import { expandReached, type ExpandingStage } from './stage-expand.js';
import { executeStep } from './step-run.js';
import { failedBeforeStart, skippedResult, stepResult } from './step-result.js';

export type { StageContext } from './stage-context.js';

/** Runs one stage's steps; `run()` once, `notify()` when the run is aborted. */
export class StageRun implements StageOps, ExpandingStage {
  private readonly results = new Map<string, StepResult>();
  /** Ids of the steps that have settled (finished, skipped or ready): what `needs` wait for. */
  private readonly finished = new Set<string>();
  private readonly started = new Set<string>();
  readonly live = new Map<string, Live>();
  readonly escapees: EscapeLedger;
  private running = 0;
  /** Copies of one strategy running now, by copyGroup (for maxConcurrency). */
  private readonly copiesRunning = new Map<string, number>();
  private failed = false;
  private abortedStage = false;
  /** Settles when the stage is aborted: waits (retry intervals) end at once. */
  private readonly abortSignal = resolvable();
  private colour = 0;
  private dirty = false;
  private wake: () => void = () => undefined;

  /** The stage's steps; a run-time strategy's step is replaced by its copies when reached. */
  readonly steps: PlanStep[];
  /** Ids of the stage's steps, copies made at run time included (whose escapees it stops). */
  readonly stageSteps: Set<string>;

  constructor(
    private readonly stage: PlanStage,
    steps: PlanStep[],
    readonly ctx: StageContext,
  ) {
    this.steps = [...steps];
    this.stageSteps = new Set(steps.map((s) => s.id));
    this.escapees = new EscapeLedger({
      runId: ctx.runId,
      stageSteps: this.stageSteps,
      planSteps: ctx.planSteps,
      masker: ctx.masker,
      note: (l) => ctx.note(l),
      graceMs: ctx.graceMs,
    });
  }

  /** Runs the stage to the end, teardown included. Never throws. */
  async run(): Promise<{ stage: StageResult; steps: StepResult[] }> {
    const t0 = performance.now();
    try {
      await this.loop();
    } finally {
      await this.teardown();
    }
    const status: StepStatus = this.ctx.aborted() ? 'aborted' : this.failed ? 'failed' : 'success';
    return {
      stage: {
        id: this.stage.id,
        status,
        durationMs: Math.round(performance.now() - t0),
        ...(this.escapees.unattributed.length ? { escaped: this.escapees.unattributed } : {}),
      },
      steps: this.steps.map((s) => this.results.get(s.id) ?? skippedResult(s, 'not reached')),
    };
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.dirty = false;
      if (this.ctx.aborted()) this.abortStage();
      this.pump();
      if (this.finished.size === this.steps.length) return;
      if (!this.dirty && this.running === 0) {
        // Nothing runs and nothing can start: waiting would let the process end as if all
        // were well. Whatever is left fails, saying so.
        this.markFailed(false);
        for (const step of this.steps)
          if (!this.finished.has(step.id))
            this.finish(
              step,
              stepResult(step, {
                status: 'failed',
                durationMs: 0,
                attempts: 0,
                errorType: 'Unknown',
                error: 'could not be scheduled: what it needs never finished (internal error)',
              }),
            );
        return;
      }
      if (!this.dirty) await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Wakes the scheduling loop (a step settled, or the run is being aborted). */
  notify(): void {
    this.dirty = true;
    this.wake();
  }

  /** True when every step `step` needs in this stage has settled (needs elsewhere are done). */
  private needsMet(step: PlanStep): boolean {
    return step.needs.every((n) => this.finished.has(n) || !this.stageSteps.has(n));
  }

  /** Starts every step whose needs are settled, up to the concurrency limit. */
  private pump(): void {
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      if (this.started.has(step.id) || !this.needsMet(step)) continue;
      if (this.running >= this.ctx.concurrency) return;
      if (step.maxConcurrency && (this.copiesRunning.get(copyGroup(step)) ?? 0) >= step.maxConcurrency) continue;
      const decision = this.decide(step);
      if (!decision.run) {
        this.finish(step, skippedResult(step, decision.why));
        continue;
      }
      if (step.strategy) {
        // Reached: its copies are made now and take its place (and the needs on it).
        // Copies take the places of the unit's steps: look again from the start.
        if (expandReached(this, step)) i = -1;
        continue;
      }
      this.launch(decision.step);
    }
  }

  /** Whether a reached step runs; when not, why (nothing said when its stageStatus does not match). */
  private decide(step: PlanStep): { run: true; step: ExecutedStep } | { run: false; why?: string } {
    if (this.ctx.aborted()) return { run: false, why: 'run aborted' };
    if (!isExecuted(step)) return { run: false, why: `unsupported step type ${step.type}` };
    return shouldRun(step.when, this.failed) ? { run: true, step } : { run: false };
  }

  /** Starts a step's run, holding a concurrency slot (and its copy group's) until it settles. */
  private launch(step: ExecutedStep): void {
    this.started.add(step.id);
    this.running++;
    const group = step.maxConcurrency ? copyGroup(step) : undefined;
    if (group) this.copiesRunning.set(group, (this.copiesRunning.get(group) ?? 0) + 1);
    void executeStep(this, step)
      .catch((e: unknown) => this.internalFailure(step, e))
      .finally(() => {
        this.running--;
        if (group) this.copiesRunning.set(group, this.copiesRunning.get(group)! - 1);
        this.notify();
      });
  }

  /**
   * A step's run threw where no error was expected: the step fails (the stage with it) and
   * the stage goes on to its teardown, instead of the runner crashing and leaving processes.
   */
  private internalFailure(step: PlanStep, e: unknown): void {
    const error = this.ctx.masker.mask(`internal error while running ${step.id}: ${e instanceof Error ? e.message : String(e)}`);
    this.ctx.note(error);
    if (this.finished.has(step.id)) return;
    this.markFailed(true);
    this.finish(step, failedBeforeStart(step, error));
  }

  finish(step: PlanStep, result: StepResult): void {
    this.results.set(step.id, result);
    this.started.add(step.id);
    this.finished.add(step.id);
    this.notify();
  }

  amend(step: PlanStep, result: StepResult): void {
    this.results.set(step.id, result);
    this.notify();
  }

  fail(step: PlanStep, result: StepResult): void {
    this.settleFailure(step, result, failureAction(step.failure, result.errorType ?? 'Unknown'));
  }

  settleFailure(step: PlanStep, result: StepResult, action: string): void {
    if (action === 'Ignore') return this.finish(step, { ...result, failureIgnored: true });
    if (action === 'MarkAsSuccess') return this.finish(step, { ...result, status: 'success', failureIgnored: true });
    this.markFailed(action !== 'MarkAsFailure');
    this.finish(step, result);
  }

  markFailed(abort: boolean): void {
    this.failed = true;
    if (abort) this.abortStage();
  }

  aborting(): boolean {
    return this.abortedStage || this.ctx.aborted();
  }

  async abortableWait(ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (t = setTimeout(r, ms))), this.abortSignal.promise]).finally(() => clearTimeout(t));
    return this.aborting();
  }

  nextColour(): number {
    return this.colour++;
  }

  /** Abort: running foreground steps are stopped; background steps stay until teardown. */
  private abortStage(): void {
    if (this.abortedStage) return;
    this.abortedStage = true;
    this.abortSignal.resolve();
    for (const l of this.live.values()) {
      if (l.step.kind === 'run' && !l.stopping) {
        l.stopping = true;
        void l.handle.stop(this.ctx.graceMs);
      }
    }
  }

  /**
   * Stops every process of the stage that still runs: SIGTERM, grace, SIGKILL; then whatever
   * escaped a step's group — found holding its pipes, or by the run's marker in its
   * environment — is stopped too and reported on that step.
   */
  async teardown(): Promise<void> {
    const all = [...this.live.values()];
    for (const l of all) l.stopping = true;
    await Promise.all(
      all.map(async (l) => {
        await l.handle.stop(this.ctx.graceMs);
        await l.handle.exited;
        this.escapees.fromStep(l.step.id, l.log, await l.handle.release(RELEASE_MS));
        this.ctx.track(l.step.id, undefined);
        this.live.delete(l.step.id);
        await l.log.close();
      }),
    );
    await this.escapees.stopAll((id) => this.results.get(id)?.log);
    for (const [id, list] of this.escapees.byStep) {
      const r = this.results.get(id);
      if (r) this.results.set(id, { ...r, escaped: list });
    }
  }
}

/** A promise with its resolve function (Promise.withResolvers needs Node 22). */
function resolvable(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => undefined as void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
