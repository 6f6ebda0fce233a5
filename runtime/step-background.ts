/**
 * A Background step or service: started, then waited for until its readiness probe says it
 * is ready (the steps that need it may start then), or it fails. A ready one keeps running,
 * watched, until the stage's teardown; ending on its own before that fails the stage, unless
 * its failure strategy says otherwise.
 */
import type { LongLivedStep } from '../schemas/index.js';
import { ruleFor } from './decisions.js';
import type { StepLog } from './logs.js';
import { waitReady } from './readiness/index.js';
import type { StepResult } from './report.js';
import { startSpec, type Live, type StageOps } from './stage-context.js';
import { stepResult } from './step-result.js';
import { startAttempt } from './step-start.js';

/** Starts a background step and settles it when it is ready or has failed to be. */
export async function runBackground(stage: StageOps, step: LongLivedStep, log: StepLog, t0: number): Promise<void> {
  const { ctx } = stage;
  const elapsed = () => Math.round(performance.now() - t0);
  const spec = startSpec(ctx, step, log);
  const backend = ctx.backend(step);
  const handle = await startAttempt(stage, step, spec, log, 1, elapsed);
  if (!handle) return;
  const live: Live = { step, handle, log, ready: false, stopping: false };
  stage.live.set(step.id, live);
  ctx.track(step.id, handle);
  // A Background step's own `timeout` bounds how long it may take to become ready.
  const readiness =
    step.readiness && step.timeoutMs && step.timeoutMs < step.readiness.timeoutMs
      ? { ...step.readiness, timeoutMs: step.timeoutMs }
      : step.readiness;
  const outcome = await waitReady(readiness, handle, backend, spec);
  if (outcome.ready) {
    live.ready = true;
    ctx.note(`${step.id} ready after ${outcome.ms} ms`);
    // Steps that need it may start now; the service keeps running until teardown.
    stage.finish(step, stepResult(step, { status: 'success', durationMs: elapsed(), attempts: 1, readyMs: outcome.ms, log: log.path }));
    // From here the service no longer holds a concurrency slot: it is watched, not run.
    void watchExit(stage, live, t0, outcome.ms);
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
  stage.fail(
    step,
    stepResult(step, {
      status: 'failed',
      errorType: outcome.reason === 'exited' ? 'Exited' : 'Readiness',
      ...(outcome.reason === 'exited' ? { exitCode: outcome.exit.code } : {}),
      error,
      durationMs: elapsed(),
      attempts: 1,
      log: log.path,
    }),
  );
}

/** A ready service that ends on its own before the stage does fails the stage, unless its strategy says otherwise. */
async function watchExit(stage: StageOps, live: Live, t0: number, readyMs: number): Promise<void> {
  const { step } = live;
  const exit = await live.handle.exited;
  // Stopped by teardown or by the run's abort (a signal): that is not the service failing.
  if (live.stopping || stage.ctx.aborted()) return;
  const error = `${step.kind} step ${step.id} exited before the stage ended (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`;
  live.log.line(`pipewright: ${error}`);
  const result: StepResult = stepResult(step, {
    status: 'failed',
    exitCode: exit.code,
    errorType: 'Exited',
    error,
    durationMs: Math.round(performance.now() - t0),
    attempts: 1,
    readyMs,
    log: live.log.path,
  });
  const action = ruleFor(step.failure, 'Exited')?.action.type;
  if (action === 'Ignore' || action === 'MarkAsSuccess')
    return stage.amend(step, { ...result, status: action === 'Ignore' ? 'failed' : 'success', failureIgnored: true });
  // As for a Run step: MarkAsFailure fails the stage but lets running steps finish.
  stage.markFailed(action !== 'MarkAsFailure');
  stage.amend(step, result);
}
