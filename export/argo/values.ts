/**
 * The values a step takes only at run time: the pod IP of each service started before it in
 * its stage (it reaches the service by its step id as a hostname) and the outputs of other
 * steps it reads. Worked out for the whole plan in one pass over its topological order.
 */
import { isLongLived, type Plan, type PlanStep } from '../../schemas/index.js';
import { outputOf, type Needed } from './container.js';

/** A step's direct needs, skipped steps replaced by what they needed (memoized). */
export function needsResolver(plan: Plan, skipped: ReadonlySet<string>): (step: PlanStep) => string[] {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const memo = new Map<string, string[]>();
  const resolve = (ids: readonly string[], seen: Set<string>): string[] =>
    ids.flatMap((id) => {
      if (!skipped.has(id)) return [id];
      if (seen.has(id)) return [];
      seen.add(id);
      return resolve(byId.get(id)?.needs ?? [], seen);
    });
  return (step) => {
    let r = memo.get(step.id);
    if (!r) memo.set(step.id, (r = [...new Set(resolve(step.needs, new Set()))]));
    return r;
  };
}

/** The run-time values of every step, by step id: services first (by id), then outputs. */
export function valuesNeeded(plan: Plan, skipped: ReadonlySet<string>, needsOf: (s: PlanStep) => string[]): Map<string, Needed[]> {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  // The services each step comes after, in its own stage: built along the topological order.
  const servicesBefore = new Map<string, ReadonlySet<string>>();
  const out = new Map<string, Needed[]>();
  for (const step of plan.steps) {
    if (skipped.has(step.id)) continue;
    const services = new Set<string>();
    for (const id of needsOf(step)) {
      const need = byId.get(id);
      if (!need || need.stage !== step.stage) continue;
      for (const s of servicesBefore.get(id) ?? []) services.add(s);
      if (isLongLived(need)) services.add(id);
    }
    servicesBefore.set(step.id, services);
    const ips: Needed[] = [...services].sort().map((id) => ({ kind: 'ip', step: id, host: id.split('.').pop()! }));
    out.set(step.id, [...ips, ...(step.refs ?? []).filter((r) => r.kind === 'output').map(outputOf)]);
  }
  return out;
}
