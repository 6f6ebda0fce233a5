/**
 * The second pass over a stage's steps: each draft becomes a plan step, built by its kind's
 * builder in the step's own scope (its copy's strategy values, the steps that run before it,
 * so output references resolve), with its conditions, failure strategies and references.
 */
import type { PlanRef, PlanStep, PlanWhen } from '../../schemas/index.js';
import { Codes } from '../diagnostics.js';
import type { ExprScope } from '../expressions/expressions.js';
import { originOf } from '../templates/annotations.js';
import { textOf } from '../text.js';
import { outerValues, type Ancestry, type Draft } from './drafts.js';
import type { FlattenContext } from './flatten-context.js';
import { buildStep } from './step-builders.js';
import { combineWhen, deepSubstitute, whenOf } from './steps.js';

type Obj = Record<string, unknown>;

export function buildPlanStep(
  f: FlattenContext,
  d: Draft,
  stageScope: ExprScope,
  stageId: string,
  ancestors: Ancestry,
): PlanStep | undefined {
  const at = f.loc(d.node);
  if (f.known.byId.has(d.id)) {
    f.bag.error(Codes.DUPLICATE_STEP_ID, `duplicate step id '${d.id}'`, f.positions.at(d.node, 'identifier', at));
    return undefined;
  }
  const scope: ExprScope = {
    ...stageScope,
    step: { identifier: textOf(d.node['identifier'] ?? ''), name: textOf(d.node['name'] ?? d.node['identifier'] ?? '') },
    ...(d.strategy ? { strategy: outerValues(d) } : d.dynamicStrategy ? { strategy: { byRun: true } } : {}),
  };
  const refs = new Map<string, PlanRef>();
  const ctx = f.buildCtx(scope, at, refs, stageId, d.groupPath, ancestors);
  const body = f.bag.guard(() => buildStep(d.node, d.kind, ctx));
  if (!body) return undefined;
  const step: PlanStep = { id: d.id, stage: stageId, ...body, needs: d.needs, origin: originOf(f.loc(d.node), d.ann) };
  if (d.strategy) {
    body.name = body.name + d.strategy.suffix;
    step.name = body.name;
    step.matrix = {
      ...(d.strategy.values.matrix ?? {}),
      ...('item' in d.strategy.values ? { item: d.strategy.values.item } : {}),
      iteration: d.strategy.values.iteration,
      iterations: d.strategy.values.iterations,
    };
  }
  if (d.dynamicStrategy) {
    // Its expressions take the step's scope: output references are checked and listed in
    // the step's refs, so the run can fill them when it expands the copies.
    const strategy = f.bag.guard(() => deepSubstitute(d.dynamicStrategy, ctx, d.node, 'strategy'));
    if (strategy && typeof strategy === 'object') step.strategy = strategy as Obj;
    if (d.strategyOf) step.strategyOf = d.strategyOf;
  }
  if (d.maxConcurrency) step.maxConcurrency = d.maxConcurrency;
  // Conditions are built here, with the step's own scope, so output references resolve.
  let when: PlanWhen | undefined;
  for (const holder of d.whens)
    when = combineWhen(
      when,
      f.bag.guard(() => whenOf(holder['when'], 'stageStatus', holder, ctx)),
    );
  if (when) step.when = when;
  if (d.failure) step.failure = d.failure;
  if (refs.size) step.refs = [...refs.values()].sort((a, b) => (a.expr < b.expr ? -1 : a.expr > b.expr ? 1 : 0));
  if ((step.kind === 'background' || step.kind === 'service') && !step.readiness) {
    f.bag.warn(
      Codes.NO_READINESS,
      `${step.kind} step ${step.id} has no readiness probe and no portBindings: it counts as ready once started`,
      at,
    );
  }
  return step;
}
