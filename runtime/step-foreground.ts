/**
 * A Run step in the foreground: each attempt started, watched (its timeout, "still running"
 * notices), stopped with its group, its outputs read; a failed attempt retried as its failure
 * strategy says, each wait ended at once by the stage's abort.
 */
import { rmSync } from 'node:fs';
import type { RunStep } from '../schemas/index.js';
import { ruleFor } from './decisions.js';
import type { StepLog } from './logs.js';
import { readOutputs } from './outputs.js';
import type { ErrorType, StepResult } from './report.js';
import { RELEASE_MS, startSpec, type Live, type StageOps } from './stage-context.js';
import { stepResult } from './step-result.js';
import { startAttempt } from './step-start.js';

/** Runs a Run step's attempts until one succeeds, its retries are over, or the stage aborts. */
export async function runForeground(stage: StageOps, step: RunStep, log: StepLog, t0: number): Promise<void> {
  const { ctx } = stage;
  const elapsed = () => Math.round(performance.now() - t0);
  let attempt = 0;
  for (;;) {
    attempt++;
    const spec = startSpec(ctx, step, log, attempt);
    const handle = await startAttempt(stage, step, spec, log, attempt, elapsed);
    if (!handle) return;
    const live: Live = { step, handle, log, ready: true, stopping: false };
    stage.live.set(step.id, live);
    ctx.track(step.id, handle);
    let timedOut = false;
    const timer = step.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          log.line(`pipewright: timed out after ${step.timeoutMs} ms; stopping the step`);
          void handle.stop(ctx.graceMs);
        }, step.timeoutMs)
      : undefined;
    const quiet = setInterval(
      () => {
        if (Date.now() - log.lastOutput >= ctx.silenceMs)
          log.line(`pipewright: still running after ${Math.round((performance.now() - t0) / 1000)} s`);
      },
      Math.max(50, Math.min(ctx.silenceMs, 5000)),
    );
    const exit = await handle.exited;
    clearTimeout(timer);
    clearInterval(quiet);
    stage.live.delete(step.id);
    ctx.track(step.id, undefined);
    // Anything the step left in its group goes with it; what escaped the group is noted.
    await handle.stop(ctx.graceMs);
    stage.escapees.fromStep(step.id, log, await handle.release(RELEASE_MS));
    const durationMs = elapsed();
    // Output values are read from a successful attempt only; the file never outlives it.
    const outputs = exit.code === 0 && !timedOut && !live.stopping ? readOutputs(step, spec.outputsFile) : undefined;
    if (spec.outputsFile) rmSync(spec.outputsFile, { force: true });
    if (live.stopping && !timedOut) {
      await log.close();
      return stage.finish(
        step,
        stepResult(step, {
          status: 'aborted',
          exitCode: exit.code,
          error: 'stopped: the stage was aborted',
          durationMs,
          attempts: attempt,
          log: log.path,
        }),
      );
    }
    if (exit.code === 0 && !timedOut) {
      if (outputs) ctx.refs.outputs.set(step.id, outputs);
      await log.close();
      return stage.finish(
        step,
        stepResult(step, {
          status: 'success',
          exitCode: 0,
          durationMs,
          attempts: attempt,
          log: log.path,
          ...(outputs ? { outputs: maskAll(stage, outputs) } : {}),
        }),
      );
    }
    const errorType: ErrorType = timedOut ? 'Timeout' : 'Unknown';
    const error = timedOut
      ? `timed out after ${step.timeoutMs} ms`
      : exit.signal
        ? `killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
    const rule = ruleFor(step.failure, errorType);
    if (rule?.action.type === 'Retry' && attempt <= (rule.action.retryCount ?? 1) && !stage.aborting()) {
      const intervals = rule.action.retryIntervalsMs ?? [];
      const wait = intervals[Math.min(attempt - 1, intervals.length - 1)] ?? 0;
      log.line(`pipewright: attempt ${attempt} failed (${error}); retrying in ${wait} ms`);
      // An abort (signal, or a failure elsewhere in the stage) ends the wait and the retries.
      if (await stage.abortableWait(wait)) {
        await log.close();
        return stage.finish(
          step,
          stepResult(step, {
            status: 'aborted',
            exitCode: exit.code,
            error: `stopped before retry ${attempt + 1}: the stage was aborted`,
            durationMs: elapsed(),
            attempts: attempt,
            log: log.path,
          }),
        );
      }
      continue;
    }
    const result: StepResult = stepResult(step, {
      status: 'failed',
      exitCode: exit.code,
      errorType,
      error,
      durationMs,
      attempts: attempt,
      log: log.path,
    });
    // Why the step failed, in its stream and log (a timeout said so when it fired).
    if (!timedOut) log.line(`pipewright: ${error}`);
    await log.close();
    // Retries exhausted: what happens next is onRetryFailure (default Abort).
    if (rule?.action.type === 'Retry') return stage.settleFailure(step, result, rule.action.onRetryFailure ?? 'Abort');
    return stage.fail(step, result);
  }
}

function maskAll(stage: StageOps, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, stage.ctx.masker.mask(v)]));
}
