/**
 * One stage of a run: an event-driven DAG over `needs` with a concurrency limit. A step starts
 * as soon as everything it needs has finished (or, for background steps and services, is
 * ready) — no waves. Background steps keep running until the stage ends; then every one of
 * them is stopped, whatever happened.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FailureRule, PlanStage, PlanStep } from '../schemas/index.js';
import type { Backend, Handle, StartSpec } from './backend.js';
import { StartError } from './backend.js';
import { EscapeLedger } from './escape-ledger.js';
import { createOutputsFile, hasOutputs, readOutputs } from './outputs.js';
import { ConditionError, evaluateCondition } from '../schemas/index.js';
import { StepLog, type Console } from './logs.js';
import { waitReady } from './readiness/index.js';
import { RefError, resolveStep, type RefContext } from './refs.js';
import { conditionBeforeCopies, copyGroup, memberCopy, strategyCopies, StrategyError, unitOf } from './run-strategy.js';
import type { ErrorType, StageResult, StepResult, StepStatus } from './report.js';
import type { Masker } from './secrets.js';

export interface StageContext {
  /** The run's id: every step's PIPEWRIGHT_RUN_ID, the marker teardown looks for. */
  runId: string;
  /**
   * Every step id of the run (an escapee naming none of them is this stage's to stop); copies
   * made at run time are added as they are made, so no stage takes them for escapees.
   */
  planSteps: Set<string>;
  backend: (step: PlanStep) => Backend;
  runDir: string;
  workspace: string;
  baseEnv: Record<string, string>;
  console?: Console;
  masker: Masker;
  refs: RefContext;
  concurrency: number;
  graceMs: number;
  /** "still running" after this much silence (default 30 s). */
  silenceMs: number;
  /** Called for every process started and ended (the state file for gc). */
  track(step: string, handle: Handle | undefined): void;
  /** Set when the whole run is being aborted (signal). */
  aborted: () => boolean;
  note(line: string): void;
}

interface Live {
  step: PlanStep;
  handle: Handle;
  log: StepLog;
  /** Background: set once ready; foreground: unused. */
  ready: boolean;
  stopping: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long an ended step's output may take to drain before its pipes count as held. */
const RELEASE_MS = 100;

/** Finds the failure rule for an error type (AllErrors matches everything). */
export function ruleFor(rules: FailureRule[] | undefined, errorType: ErrorType): FailureRule | undefined {
  const harnessType = errorType === 'Timeout' ? 'Timeout' : 'Unknown';
  return rules?.find((r) => r.errors.includes('AllErrors') || r.errors.includes(harnessType) || r.errors.includes(errorType));
}

export class StageRun {
  private readonly results = new Map<string, StepResult>();
  private readonly settled = new Set<string>();
  private readonly started = new Set<string>();
  private readonly live = new Map<string, Live>();
  /** Processes that escaped the stage's steps. */
  private readonly escapees: EscapeLedger;
  private running = 0;
  /** Copies of one strategy running now, by copyGroup (for maxConcurrency). */
  private readonly copiesRunning = new Map<string, number>();
  private failed = false;
  private abortedStage = false;
  /** Settles when the stage is aborted: waits (retry intervals) end at once. */
  private readonly aborting = resolvable();
  private colour = 0;
  private dirty = false;
  private wake: () => void = () => undefined;

  /** The stage's steps; a run-time strategy's step is replaced by its copies when reached. */
  private readonly steps: PlanStep[];
  /** Ids of the stage's steps, copies made at run time included (whose escapees it stops). */
  private readonly stageSteps: Set<string>;

  constructor(
    private readonly stage: PlanStage,
    steps: PlanStep[],
    private readonly ctx: StageContext,
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
      steps: this.steps.map((s) => this.results.get(s.id) ?? this.skipped(s, 'not reached')),
    };
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.dirty = false;
      if (this.ctx.aborted()) this.abortStage();
      this.pump();
      if (this.settled.size === this.steps.length) return;
      if (!this.dirty && this.running === 0) {
        // Nothing runs and nothing can start: waiting would let the process end as if all
        // were well. Whatever is left fails, saying so.
        this.markFailed(false);
        for (const step of this.steps)
          if (!this.settled.has(step.id))
            this.finish(step, {
              ...this.skipped(step),
              status: 'failed',
              errorType: 'Unknown',
              error: 'could not be scheduled: what it needs never finished (internal error)',
            });
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

  /** Starts every step whose needs are settled, up to the concurrency limit. */
  private pump(): void {
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      if (this.started.has(step.id)) continue;
      if (!step.needs.every((n) => this.settled.has(n) || !this.stageSteps.has(n))) continue;
      if (this.running >= this.ctx.concurrency) return;
      if (step.maxConcurrency && (this.copiesRunning.get(copyGroup(step)) ?? 0) >= step.maxConcurrency) continue;
      if (step.strategy && !this.ctx.aborted() && this.shouldRun(step) && step.kind !== 'external') {
        // Reached: its copies are made now and take its place (and the needs on it).
        // Copies take the places of the unit's steps: look again from the start.
        if (this.expand(step)) i = -1;
        continue;
      }
      this.started.add(step.id);
      if (this.ctx.aborted() || !this.shouldRun(step) || step.kind === 'external') {
        this.finish(
          step,
          this.skipped(
            step,
            this.ctx.aborted() ? 'run aborted' : step.kind === 'external' ? `unsupported step type ${step.type}` : undefined,
          ),
        );
        continue;
      }
      this.running++;
      const group = step.maxConcurrency ? copyGroup(step) : undefined;
      if (group) this.copiesRunning.set(group, (this.copiesRunning.get(group) ?? 0) + 1);
      void this.execute(step)
        .catch((e: unknown) => this.internalFailure(step, e))
        .finally(() => {
          this.running--;
          if (group) this.copiesRunning.set(group, this.copiesRunning.get(group)! - 1);
          this.notify();
        });
    }
  }

  /**
   * A step whose strategy only the run can expand, reached: its condition when it does not
   * depend on the copy, then its unit's copies (expandNow). False when it settled instead.
   */
  private expand(step: PlanStep): boolean {
    // A condition that does not depend on the copy is decided first: a step that does not run
    // makes no copies (its strategy may use the very outputs the condition checks for).
    const decided = unitOf(step) === step.id ? conditionBeforeCopies(step, this.ctx.refs) : undefined;
    if (decided === undefined || decided === true) return this.expandNow(step);
    this.started.add(step.id);
    if (decided === false)
      this.finish(step, { ...this.skipped(step), error: `condition is false: ${this.ctx.masker.mask(step.when?.condition ?? '')}` });
    else
      this.fail(step, {
        id: step.id,
        stage: step.stage,
        kind: step.kind,
        type: step.type,
        name: step.name,
        status: 'failed',
        errorType: 'Unknown',
        error: this.ctx.masker.mask(decided.error),
        durationMs: 0,
        attempts: 0,
      });
    return false;
  }

  /**
   * Replaces the steps of `step`'s unit (the step, or its step group's steps) by their copies,
   * where the first of them stood; steps that need one need its every copy. False when they
   * settled instead (the strategy could not be expanded, or made no copy).
   */
  private expandNow(step: PlanStep): boolean {
    const unit = unitOf(step);
    const members = this.steps.filter((s) => s.strategy !== undefined && unitOf(s) === unit);
    const ids = new Set(members.map((m) => m.id));
    const settleAll = (why: string, failed: boolean): false => {
      for (const m of members) {
        this.started.add(m.id);
        const result = { ...this.skipped(m, m === step ? why : `its group's strategy: ${why}`) };
        if (failed && m === step) this.fail(m, { ...result, status: 'failed', errorType: 'Unknown' });
        else this.finish(m, result);
      }
      return false;
    };
    let copies: PlanStep[][];
    let m: number | undefined;
    try {
      const made = strategyCopies(step, this.ctx.refs);
      m = made.maxConcurrency;
      copies = made.copies.map((c) => members.map((member) => memberCopy(member, unit, c, ids, this.ctx.refs)));
    } catch (e) {
      const error = this.ctx.masker.mask(e instanceof StrategyError || e instanceof RefError ? e.message : String(e));
      this.ctx.note(`${unit}: ${error}`);
      return settleAll(error, true);
    }
    if (copies.length === 0) return settleAll('its strategy made no copy (an empty list, or zero)', false);
    const flat = copies.flat();
    const taken = flat.find((c) => this.ctx.planSteps.has(c.id) || this.steps.some((s) => s.id === c.id && !ids.has(s.id)));
    if (taken) {
      const error = `its copy ${taken.id} would have the id of another step; rename one`;
      this.ctx.note(`${unit}: ${error}`);
      return settleAll(error, true);
    }
    if (m) {
      if (unit === step.id) for (const c of flat) c.maxConcurrency = m;
      else {
        // Copies of a group: at most m at once, each copy's first steps waiting for the
        // copy m places before it to end.
        copies.forEach((group, k) => {
          if (k < m!) return;
          const before = copies[k - m!]!.map((x) => x.id);
          for (const x of group) if (!x.needs.some((n) => group.some((y) => y.id === n))) x.needs = [...x.needs, ...before];
        });
      }
    }
    for (const c of flat) {
      this.ctx.planSteps.add(c.id);
      this.stageSteps.add(c.id);
    }
    const first = Math.min(...members.map((x) => this.steps.indexOf(x)));
    this.steps.splice(first, 0, ...flat);
    for (let j = this.steps.length - 1; j >= 0; j--)
      if (ids.has(this.steps[j]!.id) && members.includes(this.steps[j]!)) this.steps.splice(j, 1);
    const copiesOf = (id: string) => copies.map((group) => group[members.findIndex((x) => x.id === id)]!.id);
    for (let j = 0; j < this.steps.length; j++) {
      const x = this.steps[j]!;
      if (x.needs.some((n) => ids.has(n)) && !flat.includes(x))
        this.steps[j] = { ...x, needs: x.needs.flatMap((n) => (ids.has(n) ? copiesOf(n) : [n])) };
    }
    this.ctx.note(
      `${unit}: strategy expanded at run time into ${copies.length} cop${copies.length === 1 ? 'y' : 'ies'}${m ? ` (at most ${m} at once)` : ''}`,
    );
    return true;
  }

  /**
   * A step's run threw where no error was expected: the step fails (the stage with it) and
   * the stage goes on to its teardown, instead of the runner crashing and leaving processes.
   */
  private internalFailure(step: PlanStep, e: unknown): void {
    const error = this.ctx.masker.mask(`internal error while running ${step.id}: ${e instanceof Error ? e.message : String(e)}`);
    this.ctx.note(error);
    if (this.settled.has(step.id)) return;
    this.markFailed(true);
    this.finish(step, {
      id: step.id,
      stage: step.stage,
      kind: step.kind,
      type: step.type,
      name: step.name,
      status: 'failed',
      errorType: 'Unknown',
      error,
      durationMs: 0,
      attempts: 0,
    });
  }

  private shouldRun(step: PlanStep): boolean {
    const status = step.when?.status ?? 'Success';
    if (status === 'Success' && this.failed) return false;
    if (status === 'Failure' && !this.failed) return false;
    return true;
  }

  private skipped(step: PlanStep, why?: string): StepResult {
    return {
      id: step.id,
      stage: step.stage,
      kind: step.kind,
      type: step.type,
      name: step.name,
      status: 'skipped',
      durationMs: 0,
      attempts: 0,
      ...(why ? { error: why } : {}),
    };
  }

  private finish(step: PlanStep, result: StepResult): void {
    this.results.set(step.id, result);
    this.settled.add(step.id);
    this.notify();
  }

  private markFailed(abort: boolean): void {
    this.failed = true;
    if (abort) this.abortStage();
  }

  /** Waits `ms` unless the stage is aborted first; true when it was. */
  private async abortableWait(ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (t = setTimeout(r, ms))), this.aborting.promise]).finally(() => clearTimeout(t));
    return this.abortedStage || this.ctx.aborted();
  }

  /** Abort: running foreground steps are stopped; background steps stay until teardown. */
  private abortStage(): void {
    if (this.abortedStage) return;
    this.abortedStage = true;
    this.aborting.resolve();
    for (const l of this.live.values()) {
      if (l.step.kind === 'run' && !l.stopping) {
        l.stopping = true;
        void l.handle.stop(this.ctx.graceMs);
      }
    }
  }

  private async execute(step: PlanStep): Promise<void> {
    const t0 = performance.now();
    const base = { id: step.id, stage: step.stage, kind: step.kind, type: step.type, name: step.name };
    const log = new StepLog(step.id, join(this.ctx.runDir, 'logs'), this.ctx.console, this.ctx.masker, this.colour++);
    const elapsed = () => Math.round(performance.now() - t0);
    let resolved: PlanStep;
    try {
      resolved = resolveStep(step, this.ctx.refs);
      if (resolved.when?.condition !== undefined && !evaluateCondition(resolved.when.condition)) {
        await log.close();
        this.finish(step, { ...this.skipped(step), error: `condition is false: ${this.ctx.masker.mask(resolved.when.condition)}` });
        return;
      }
    } catch (e) {
      const msg =
        e instanceof ConditionError ? `condition ${step.when?.condition}: ${e.message}` : e instanceof RefError ? e.message : String(e);
      log.line(`pipewright: ${msg}`);
      await log.close();
      this.fail(step, {
        ...base,
        status: 'failed',
        errorType: 'Unknown',
        error: this.ctx.masker.mask(msg),
        durationMs: elapsed(),
        attempts: 0,
        log: log.path,
      });
      return;
    }
    this.warnArgvSecrets(resolved, log);
    if (resolved.kind === 'run') await this.runForeground(resolved, log, t0);
    else await this.runBackground(resolved, log, t0);
  }

  /** Warns when a secret sits in an exec-form entrypoint or args: those are argv, which `ps` shows every user. */
  private warnArgvSecrets(step: PlanStep, log: StepLog): void {
    if ([...(step.entrypoint ?? []), ...(step.args ?? [])].some((a) => this.ctx.masker.mask(a) !== a)) {
      log.line(
        `pipewright: warning: a secret is in the entrypoint or args of ${step.id}, which every user of this machine can read (ps); pass it in envVariables instead`,
      );
    }
  }

  private spec(step: PlanStep, log: StepLog, attempt = 0): StartSpec {
    // The run marker comes last: a step's own envVariables cannot hide it from teardown and gc.
    const env = { ...this.ctx.baseEnv, ...step.env, PIPEWRIGHT_RUN_ID: this.ctx.runId, PIPEWRIGHT_STEP_ID: step.id };
    const out: StartSpec = {
      step,
      env,
      cwd: this.ctx.workspace,
      log,
      scriptFile: join(this.ctx.runDir, 'scripts', `${step.id}.${attempt}`),
    };
    if (hasOutputs(step)) out.outputsFile = createOutputsFile(join(this.ctx.runDir, 'outputs', `${step.id}.${attempt}`));
    return out;
  }

  /** Applies the failure strategy to a failed attempt's result; records it. */
  private fail(step: PlanStep, result: StepResult): void {
    this.settleFailure(step, result, ruleFor(step.failure, result.errorType ?? 'Unknown')?.action.type ?? 'Abort');
  }

  /** Records a failed step as its failure action says (the strategy's, or onRetryFailure). */
  private settleFailure(step: PlanStep, result: StepResult, action: string): void {
    if (action === 'Ignore') return this.finish(step, { ...result, failureIgnored: true });
    if (action === 'MarkAsSuccess') return this.finish(step, { ...result, status: 'success', failureIgnored: true });
    this.markFailed(action !== 'MarkAsFailure');
    this.finish(step, result);
  }

  private async runForeground(step: PlanStep, log: StepLog, t0: number): Promise<void> {
    const base = { id: step.id, stage: step.stage, kind: step.kind, type: step.type, name: step.name };
    let attempt = 0;
    for (;;) {
      attempt++;
      const spec = this.spec(step, log, attempt);
      let handle: Handle;
      try {
        handle = await this.ctx.backend(step).start(spec);
      } catch (e) {
        const msg = e instanceof StartError ? e.message : String(e);
        log.line(`pipewright: ${msg}`);
        await log.close();
        return this.fail(step, {
          ...base,
          status: 'failed',
          errorType: 'Start',
          error: msg,
          durationMs: Math.round(performance.now() - t0),
          attempts: attempt,
          log: log.path,
        });
      }
      const live: Live = { step, handle, log, ready: true, stopping: false };
      this.live.set(step.id, live);
      this.ctx.track(step.id, handle);
      let timedOut = false;
      const timer = step.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            log.line(`pipewright: timed out after ${step.timeoutMs} ms; stopping the step`);
            void handle.stop(this.ctx.graceMs);
          }, step.timeoutMs)
        : undefined;
      const quiet = setInterval(
        () => {
          if (Date.now() - log.lastOutput >= this.ctx.silenceMs)
            log.line(`pipewright: still running after ${Math.round((performance.now() - t0) / 1000)} s`);
        },
        Math.max(50, Math.min(this.ctx.silenceMs, 5000)),
      );
      const exit = await handle.exited;
      clearTimeout(timer);
      clearInterval(quiet);
      this.live.delete(step.id);
      this.ctx.track(step.id, undefined);
      // Anything the step left in its group goes with it; what escaped the group is noted.
      await handle.stop(this.ctx.graceMs);
      this.escapees.fromStep(step.id, log, await handle.release(RELEASE_MS));
      const durationMs = Math.round(performance.now() - t0);
      // Output values are read from a successful attempt only; the file never outlives it.
      const outputs = exit.code === 0 && !timedOut && !live.stopping ? readOutputs(step, spec.outputsFile) : undefined;
      if (spec.outputsFile) rmSync(spec.outputsFile, { force: true });
      if (live.stopping && !timedOut) {
        await log.close();
        return this.finish(step, {
          ...base,
          status: 'aborted',
          exitCode: exit.code,
          error: 'stopped: the stage was aborted',
          durationMs,
          attempts: attempt,
          log: log.path,
        });
      }
      if (exit.code === 0 && !timedOut) {
        if (outputs) this.ctx.refs.outputs.set(step.id, outputs);
        await log.close();
        return this.finish(step, {
          ...base,
          status: 'success',
          exitCode: 0,
          durationMs,
          attempts: attempt,
          log: log.path,
          ...(outputs ? { outputs: this.maskAll(outputs) } : {}),
        });
      }
      const errorType: ErrorType = timedOut ? 'Timeout' : 'Unknown';
      const error = timedOut
        ? `timed out after ${step.timeoutMs} ms`
        : exit.signal
          ? `killed by ${exit.signal}`
          : `exited with code ${exit.code}`;
      const rule = ruleFor(step.failure, errorType);
      if (rule?.action.type === 'Retry' && attempt <= (rule.action.retryCount ?? 1) && !this.ctx.aborted() && !this.abortedStage) {
        const intervals = rule.action.retryIntervalsMs ?? [];
        const wait = intervals[Math.min(attempt - 1, intervals.length - 1)] ?? 0;
        log.line(`pipewright: attempt ${attempt} failed (${error}); retrying in ${wait} ms`);
        // An abort (signal, or a failure elsewhere in the stage) ends the wait and the retries.
        if (await this.abortableWait(wait)) {
          await log.close();
          return this.finish(step, {
            ...base,
            status: 'aborted',
            exitCode: exit.code,
            error: `stopped before retry ${attempt + 1}: the stage was aborted`,
            durationMs: Math.round(performance.now() - t0),
            attempts: attempt,
            log: log.path,
          });
        }
        continue;
      }
      const result: StepResult = {
        ...base,
        status: 'failed',
        exitCode: exit.code,
        errorType,
        error,
        durationMs,
        attempts: attempt,
        log: log.path,
      };
      // Why the step failed, in its stream and log (a timeout said so when it fired).
      if (!timedOut) log.line(`pipewright: ${error}`);
      await log.close();
      if (rule?.action.type === 'Retry') {
        // Retries exhausted: what happens next is onRetryFailure (default Abort).
        return this.settleFailure(step, result, rule.action.onRetryFailure ?? 'Abort');
      }
      return this.fail(step, result);
    }
  }

  private maskAll(values: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, this.ctx.masker.mask(v)]));
  }

  private async runBackground(step: PlanStep, log: StepLog, t0: number): Promise<void> {
    const base = { id: step.id, stage: step.stage, kind: step.kind, type: step.type, name: step.name };
    const spec = this.spec(step, log);
    const backend = this.ctx.backend(step);
    let handle: Handle;
    try {
      handle = await backend.start(spec);
    } catch (e) {
      const msg = e instanceof StartError ? e.message : String(e);
      log.line(`pipewright: ${msg}`);
      await log.close();
      return this.fail(step, {
        ...base,
        status: 'failed',
        errorType: 'Start',
        error: msg,
        durationMs: Math.round(performance.now() - t0),
        attempts: 1,
        log: log.path,
      });
    }
    const live: Live = { step, handle, log, ready: false, stopping: false };
    this.live.set(step.id, live);
    this.ctx.track(step.id, handle);
    // A Background step's own `timeout` bounds how long it may take to become ready.
    const readiness =
      step.readiness && step.timeoutMs && step.timeoutMs < step.readiness.timeoutMs
        ? { ...step.readiness, timeoutMs: step.timeoutMs }
        : step.readiness;
    const outcome = await waitReady(readiness, handle, backend, spec);
    if (outcome.ready) {
      live.ready = true;
      this.ctx.note(`${step.id} ready after ${outcome.ms} ms`);
      // Steps that need it may start now; the service keeps running until teardown.
      this.results.set(step.id, {
        ...base,
        status: 'success',
        durationMs: Math.round(performance.now() - t0),
        attempts: 1,
        readyMs: outcome.ms,
        log: log.path,
      });
      this.settled.add(step.id);
      this.notify();
      // From here the service no longer holds a concurrency slot: it is watched, not run.
      void this.watchExit(step, live, t0, outcome.ms);
      return;
    }
    const lines = log.lastLines();
    const why =
      outcome.reason === 'timeout'
        ? `readiness of ${step.id} not reached after ${readiness!.timeoutMs} ms`
        : outcome.reason === 'invalid'
          ? `${step.id}: ${outcome.message}`
          : `${step.id} exited (${outcome.exit.signal ? `signal ${outcome.exit.signal}` : `code ${outcome.exit.code}`}) before it was ready`;
    const error = `${why}; last log lines:\n${lines.map((l) => `  ${l}`).join('\n') || '  (no output)'}\n(log: ${log.path})`;
    // The live stream already showed those lines: it gets the reason only.
    log.line(`pipewright: ${why}`);
    live.stopping = true;
    this.fail(step, {
      ...base,
      status: 'failed',
      errorType: outcome.reason === 'exited' ? 'Exited' : 'Readiness',
      ...(outcome.reason === 'exited' ? { exitCode: outcome.exit.code } : {}),
      error,
      durationMs: Math.round(performance.now() - t0),
      attempts: 1,
      log: log.path,
    });
  }

  /** A ready service that ends on its own before the stage does fails the stage, unless its strategy says otherwise. */
  private async watchExit(step: PlanStep, live: Live, t0: number, readyMs: number): Promise<void> {
    const exit = await live.handle.exited;
    // Stopped by teardown or by the run's abort (a signal): that is not the service failing.
    if (live.stopping || this.ctx.aborted()) return;
    const base = { id: step.id, stage: step.stage, kind: step.kind, type: step.type, name: step.name };
    const error = `${step.kind} step ${step.id} exited before the stage ended (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`;
    live.log.line(`pipewright: ${error}`);
    const result: StepResult = {
      ...base,
      status: 'failed',
      exitCode: exit.code,
      errorType: 'Exited',
      error,
      durationMs: Math.round(performance.now() - t0),
      attempts: 1,
      readyMs,
      log: live.log.path,
    };
    const rule = ruleFor(step.failure, 'Exited');
    if (rule?.action.type === 'Ignore' || rule?.action.type === 'MarkAsSuccess')
      this.results.set(step.id, { ...result, status: rule.action.type === 'Ignore' ? 'failed' : 'success', failureIgnored: true });
    else {
      this.results.set(step.id, result);
      // As for a Run step: MarkAsFailure fails the stage but lets running steps finish.
      this.markFailed(rule?.action.type !== 'MarkAsFailure');
    }
    this.notify();
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
