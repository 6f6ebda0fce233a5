/**
 * Starting one attempt of a step on its backend. A backend that cannot start it (no such
 * image, no command to run) fails the step at once, with the reason in its log.
 */
import type { ExecutedStep } from '../schemas/index.js';
import { StartError, type Handle, type StartSpec } from './backend.js';
import type { StepLog } from './logs.js';
import type { StageOps } from './stage-context.js';
import { stepResult } from './step-result.js';

/** The started attempt's handle, or undefined once the step has failed with errorType Start. */
export async function startAttempt(
  stage: StageOps,
  step: ExecutedStep,
  spec: StartSpec,
  log: StepLog,
  attempts: number,
  elapsed: () => number,
): Promise<Handle | undefined> {
  try {
    return await stage.ctx.backend(step).start(spec);
  } catch (e) {
    const msg = e instanceof StartError ? e.message : String(e);
    log.line(`pipewright: ${msg}`);
    await log.close();
    stage.fail(
      step,
      stepResult(step, { status: 'failed', errorType: 'Start', error: msg, durationMs: elapsed(), attempts, log: log.path }),
    );
    return undefined;
  }
}
