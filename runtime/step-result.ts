/**
 * Step results: the one helper that builds every result a run records — the step's identity
 * from the plan, the rest from what happened to it.
 */
import type { PlanStep } from '../schemas/index.js';
import type { StepResult } from './report.js';

/** What a result says beyond the step's identity (id, stage, kind, type, name). */
export type ResultFields = Omit<StepResult, 'id' | 'stage' | 'kind' | 'type' | 'name'>;

/** A step's result: its identity, then `fields` in their order (report.json keeps it). */
export function stepResult(step: PlanStep, fields: ResultFields): StepResult {
  return { id: step.id, stage: step.stage, kind: step.kind, type: step.type, name: step.name, ...fields };
}

/** A step that did not run: no time, no attempt, and why (when said) as its error. */
export function skippedResult(step: PlanStep, why?: string): StepResult {
  return stepResult(step, { status: 'skipped', durationMs: 0, attempts: 0, ...(why ? { error: why } : {}) });
}

/** A step that failed before any attempt (error type Unknown): a reference, a condition, a strategy. */
export function failedBeforeStart(step: PlanStep, error: string): StepResult {
  return stepResult(step, { status: 'failed', errorType: 'Unknown', error, durationMs: 0, attempts: 0 });
}
