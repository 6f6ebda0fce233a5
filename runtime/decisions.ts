/**
 * What the run decides from the plan alone: whether a step or a stage runs after what failed
 * before it (`shouldRun`), and which failure rule answers an error (`ruleFor`).
 */
import type { FailureRule, PlanWhen } from '../schemas/index.js';
import type { ErrorType } from './report.js';

/**
 * Whether a step (its stageStatus) or a stage (its pipelineStatus) runs: `Success` (the
 * default) only when nothing failed before it, `Failure` only when something did, `All`
 * always. Its condition is decided after this, when the step or stage is reached.
 */
export function shouldRun(when: PlanWhen | undefined, failed: boolean): boolean {
  const status = when?.status ?? 'Success';
  if (status === 'Success') return !failed;
  if (status === 'Failure') return failed;
  return true;
}

/** Finds the failure rule for an error type (AllErrors matches everything). */
export function ruleFor(rules: FailureRule[] | undefined, errorType: ErrorType): FailureRule | undefined {
  const harnessType = errorType === 'Timeout' ? 'Timeout' : 'Unknown';
  return rules?.find((r) => r.errors.includes('AllErrors') || r.errors.includes(harnessType) || r.errors.includes(errorType));
}

/** The failure action for an error type: its rule's, `Abort` when no rule matches. */
export function failureAction(rules: FailureRule[] | undefined, errorType: ErrorType): string {
  return ruleFor(rules, errorType)?.action.type ?? 'Abort';
}
