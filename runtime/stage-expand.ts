/**
 * Strategies only the run can expand, in a stage: when a step with such a strategy is reached,
 * its condition is decided first when it does not depend on the copy, then its unit (the step,
 * or its step group's steps) is replaced, where it stood, by the copies; steps that needed one
 * of the unit's steps need its every copy.
 */
import type { PlanStep } from '../schemas/index.js';
import { RefError } from './refs.js';
import { conditionBeforeCopies, memberCopy, strategyCopies, StrategyError, unitOf } from './run-strategy.js';
import type { StageOps } from './stage-context.js';
import { failedBeforeStart, skippedResult } from './step-result.js';

/** The part of a stage that expansion changes: its step list and the ids it answers for. */
export interface ExpandingStage extends Pick<StageOps, 'ctx' | 'finish' | 'fail'> {
  /** The stage's steps, in order; copies take their unit's place. */
  readonly steps: PlanStep[];
  /** Ids of the stage's steps, copies made at run time included. */
  readonly stageSteps: Set<string>;
}

/**
 * A reached step whose strategy only the run can expand: its condition when it does not
 * depend on the copy, then its unit's copies. True when the copies took the unit's place
 * (the stage looks at its steps again); false when the step settled instead.
 */
export function expandReached(stage: ExpandingStage, step: PlanStep): boolean {
  const { ctx } = stage;
  // A condition that does not depend on the copy is decided first: a step that does not run
  // makes no copies (its strategy may use the very outputs the condition checks for).
  const decided = unitOf(step) === step.id ? conditionBeforeCopies(step, ctx.refs) : undefined;
  if (decided === undefined || decided === true) return expandUnit(stage, step);
  if (decided === false)
    stage.finish(step, { ...skippedResult(step), error: `condition is false: ${ctx.masker.mask(step.when?.condition ?? '')}` });
  else stage.fail(step, failedBeforeStart(step, ctx.masker.mask(decided.error)));
  return false;
}

/**
 * Replaces the steps of `step`'s unit by their copies, where the first of them stood; steps
 * that need one need its every copy. False when they settled instead (the strategy could not
 * be expanded, or made no copy).
 */
function expandUnit(stage: ExpandingStage, step: PlanStep): boolean {
  const { ctx, steps } = stage;
  const unit = unitOf(step);
  const members = steps.filter((s) => s.strategy !== undefined && unitOf(s) === unit);
  const memberSet = new Set(members);
  const ids = new Set(members.map((m) => m.id));
  const settleAll = (why: string, failed: boolean): false => {
    for (const m of members) {
      const result = skippedResult(m, m === step ? why : `its group's strategy: ${why}`);
      if (failed && m === step) stage.fail(m, { ...result, status: 'failed', errorType: 'Unknown' });
      else stage.finish(m, result);
    }
    return false;
  };
  let copies: PlanStep[][];
  let m: number | undefined;
  try {
    const made = strategyCopies(step, ctx.refs);
    m = made.maxConcurrency;
    copies = made.copies.map((c) => members.map((member) => memberCopy(member, unit, c, ids, ctx.refs)));
  } catch (e) {
    const error = ctx.masker.mask(e instanceof StrategyError || e instanceof RefError ? e.message : String(e));
    ctx.note(`${unit}: ${error}`);
    return settleAll(error, true);
  }
  if (copies.length === 0) return settleAll('its strategy made no copy (an empty list, or zero)', false);
  const flat = copies.flat();
  const taken = flat.find((c) => ctx.planSteps.has(c.id) || (stage.stageSteps.has(c.id) && !ids.has(c.id)));
  if (taken) {
    const error = `its copy ${taken.id} would have the id of another step; rename one`;
    ctx.note(`${unit}: ${error}`);
    return settleAll(error, true);
  }
  if (m) limitCopies(unit === step.id, copies, m);
  for (const c of flat) {
    ctx.planSteps.add(c.id);
    stage.stageSteps.add(c.id);
  }
  const first = Math.min(...members.map((x) => steps.indexOf(x)));
  steps.splice(first, 0, ...flat);
  for (let j = steps.length - 1; j >= 0; j--) if (memberSet.has(steps[j]!)) steps.splice(j, 1);
  const copiesOf = (id: string) => copies.map((group) => group[members.findIndex((x) => x.id === id)]!.id);
  const made = new Set(flat);
  for (let j = 0; j < steps.length; j++) {
    const x = steps[j]!;
    if (x.needs.some((n) => ids.has(n)) && !made.has(x))
      steps[j] = { ...x, needs: x.needs.flatMap((n) => (ids.has(n) ? copiesOf(n) : [n])) };
  }
  ctx.note(
    `${unit}: strategy expanded at run time into ${copies.length} cop${copies.length === 1 ? 'y' : 'ies'}${m ? ` (at most ${m} at once)` : ''}`,
  );
  return true;
}

/**
 * maxConcurrency `m`: a step's copies carry it (the stage runs at most m of them at once);
 * a group's copies each wait, at their first steps, for the copy m places before to end.
 */
function limitCopies(single: boolean, copies: PlanStep[][], m: number): void {
  if (single) {
    for (const c of copies.flat()) c.maxConcurrency = m;
    return;
  }
  copies.forEach((group, k) => {
    if (k < m) return;
    const before = copies[k - m]!.map((x) => x.id);
    for (const x of group) if (!x.needs.some((n) => group.some((y) => y.id === n))) x.needs = [...x.needs, ...before];
  });
}
