/**
 * Running one step the stage has started: its references are filled in and its condition
 * decided; then it runs in the foreground (a Run step, with its retries) or in the background
 * (a Background step or service, until it is ready).
 */
import { join } from 'node:path';
import { ConditionError, evaluateCondition, type ExecutedStep } from '../schemas/index.js';
import { StepLog } from './logs.js';
import { RefError, resolveStep } from './refs.js';
import type { StageOps } from './stage-context.js';
import { runBackground } from './step-background.js';
import { runForeground } from './step-foreground.js';
import { skippedResult, stepResult } from './step-result.js';

/** Runs a started step to its result (a background step: until it is ready, or failed). */
export async function executeStep(stage: StageOps, step: ExecutedStep): Promise<void> {
  const { ctx } = stage;
  const t0 = performance.now();
  const log = new StepLog(step.id, join(ctx.runDir, 'logs'), ctx.console, ctx.masker, stage.nextColour());
  let resolved: ExecutedStep;
  try {
    resolved = resolveStep(step, ctx.refs);
    if (resolved.when?.condition !== undefined && !evaluateCondition(resolved.when.condition)) {
      await log.close();
      stage.finish(step, { ...skippedResult(step), error: `condition is false: ${ctx.masker.mask(resolved.when.condition)}` });
      return;
    }
  } catch (e) {
    const msg =
      e instanceof ConditionError ? `condition ${step.when?.condition}: ${e.message}` : e instanceof RefError ? e.message : String(e);
    log.line(`pipewright: ${msg}`);
    await log.close();
    stage.fail(
      step,
      stepResult(step, {
        status: 'failed',
        errorType: 'Unknown',
        error: ctx.masker.mask(msg),
        durationMs: Math.round(performance.now() - t0),
        attempts: 0,
        log: log.path,
      }),
    );
    return;
  }
  warnArgvSecrets(stage, resolved, log);
  if (resolved.kind === 'run') await runForeground(stage, resolved, log, t0);
  else await runBackground(stage, resolved, log, t0);
}

/** Warns when a secret sits in an exec-form entrypoint or args: those are argv, which `ps` shows every user. */
function warnArgvSecrets(stage: StageOps, step: ExecutedStep, log: StepLog): void {
  if ([...(step.entrypoint ?? []), ...(step.args ?? [])].some((a) => stage.ctx.masker.mask(a) !== a)) {
    log.line(
      `pipewright: warning: a secret is in the entrypoint or args of ${step.id}, which every user of this machine can read (ps); pass it in envVariables instead`,
    );
  }
}
