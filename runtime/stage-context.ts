/**
 * What running one step needs from the stage it runs in: the run's context (`StageContext`),
 * the stage's bookkeeping (`StageOps`, which `StageRun` implements), the live processes, and
 * each attempt's start spec.
 */
import { join } from 'node:path';
import type { ExecutedStep, PlanStep } from '../schemas/index.js';
import type { Backend, Handle, StartSpec } from './backend.js';
import type { EscapeLedger } from './escape-ledger.js';
import type { Console, StepLog } from './logs.js';
import { createOutputsFile, hasOutputs } from './outputs.js';
import type { RefContext } from './refs.js';
import type { StepResult } from './report.js';
import type { Masker } from './secrets.js';

/** What a stage gets from its run. */
export interface StageContext {
  /** The run's id: every step's PIPEWRIGHT_RUN_ID, the marker teardown looks for. */
  runId: string;
  /**
   * Every step id of the run (an escapee naming none of them is this stage's to stop); copies
   * made at run time are added as they are made, so no stage takes them for escapees.
   */
  planSteps: Set<string>;
  backend: (step: ExecutedStep) => Backend;
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

/** A step's process that runs now. */
export interface Live {
  step: PlanStep;
  handle: Handle;
  log: StepLog;
  /** Background: set once ready; foreground: unused. */
  ready: boolean;
  /** Set when the stage stops it (abort, teardown): its end is not the step failing. */
  stopping: boolean;
}

/** What a step's run needs from its stage; `StageRun` implements it. */
export interface StageOps {
  readonly ctx: StageContext;
  /** The stage's processes that run now, by step id (teardown stops them). */
  readonly live: Map<string, Live>;
  /** Processes that escaped the stage's steps. */
  readonly escapees: EscapeLedger;
  /** Records a step's result: it has settled, and the steps that need it may start. */
  finish(step: PlanStep, result: StepResult): void;
  /** Records a failed step as its failure strategy says (`Abort` when no rule matches). */
  fail(step: PlanStep, result: StepResult): void;
  /** Records a failed step as `action` says (a strategy's action, or a retry's onRetryFailure). */
  settleFailure(step: PlanStep, result: StepResult, action: string): void;
  /** Replaces the result of a step that settled already (a service that ended after it was ready). */
  amend(step: PlanStep, result: StepResult): void;
  /** The stage has failed; `abort` also stops its running Run steps and what waits to retry. */
  markFailed(abort: boolean): void;
  /** True once the stage, or the whole run, is being aborted. */
  aborting(): boolean;
  /** Waits `ms` unless the stage is aborted first; true when it was. */
  abortableWait(ms: number): Promise<boolean>;
  /** The colour of the next step's live output. */
  nextColour(): number;
}

/** How long an ended step's output may take to drain before its pipes count as held. */
export const RELEASE_MS = 100;

/** The start spec of a step's attempt: its environment, script file and outputs file. */
export function startSpec(ctx: StageContext, step: ExecutedStep, log: StepLog, attempt = 0): StartSpec {
  // The run marker comes last: a step's own envVariables cannot hide it from teardown and gc.
  const env = { ...ctx.baseEnv, ...step.env, PIPEWRIGHT_RUN_ID: ctx.runId, PIPEWRIGHT_STEP_ID: step.id };
  const out: StartSpec = {
    step,
    env,
    cwd: ctx.workspace,
    log,
    scriptFile: join(ctx.runDir, 'scripts', `${step.id}.${attempt}`),
  };
  if (hasOutputs(step)) out.outputsFile = createOutputsFile(join(ctx.runDir, 'outputs', `${step.id}.${attempt}`));
  return out;
}
