/**
 * Runtime references: the plan lists, per step, the `<+...>` expressions only a run can
 * fill (step outputs, secrets, run facts). Before a step starts they are replaced in every
 * string field; secret values are registered with the masker first.
 */
import type { PlanRef, PlanStage, PlanStep } from '../schemas/plan.js';
import type { Masker } from './secrets.js';

export interface RefContext {
  /** Outputs by plan step id. */
  outputs: Map<string, Record<string, string>>;
  secrets: Record<string, string>;
  /** Known run facts by expression body (`pipeline.sequenceId`, `pipeline.executionId`, ...). */
  facts: Record<string, string>;
  masker: Masker;
}

export class RefError extends Error {}

/** The value of one reference, or undefined when the run cannot know it. */
function valueOf(ref: PlanRef, ctx: RefContext): string | undefined {
  switch (ref.kind) {
    case 'output': {
      const v = ctx.outputs.get(ref.step ?? '')?.[ref.name ?? ''];
      return v ?? '';
    }
    case 'secret': {
      const v = ctx.secrets[ref.name ?? ''];
      if (v === undefined) throw new RefError(`secret '${ref.name}' is not defined (--secrets-file, or PIPEWRIGHT_SECRET_${(ref.name ?? '').toUpperCase()})`);
      ctx.masker.add(v);
      return v;
    }
    default:
      return ctx.facts[ref.expr.slice(2, -1).trim()];
  }
}

function replaceAll(text: string, values: [string, string][]): string {
  let out = text;
  for (const [expr, v] of values) if (out.includes(expr)) out = out.split(expr).join(v);
  return out;
}

/** The values of `refs` the run knows, as (expression text, value) pairs. */
export function refValues(refs: PlanRef[], ctx: RefContext): [string, string][] {
  const values: [string, string][] = [];
  for (const r of refs) {
    const v = valueOf(r, ctx);
    if (v !== undefined) values.push([r.expr, v]);
  }
  return values;
}

/** Values in a condition are quoted literals, so the condition stays an expression. */
const quotedValues = (values: [string, string][]): [string, string][] => values.map(([e, v]) => [e, JSON.stringify(v)]);

/** A stage's condition with its references (earlier stages' outputs, run facts) replaced. */
export function resolveStageCondition(stage: PlanStage, ctx: RefContext): string | undefined {
  const condition = stage.when?.condition;
  if (condition === undefined || !stage.refs?.length) return condition;
  return replaceAll(condition, quotedValues(refValues(stage.refs, ctx)));
}

/** A copy of `step` with its references replaced (conditions get quoted literals). */
export function resolveStep(step: PlanStep, ctx: RefContext): PlanStep {
  const refs = step.refs ?? [];
  if (refs.length === 0) return step;
  const values = refValues(refs, ctx);
  const quoted = quotedValues(values);
  const s = (t: string | undefined) => (t === undefined ? undefined : replaceAll(t, values));
  const out: PlanStep = { ...step, env: Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, replaceAll(v, values)])) };
  if (step.command !== undefined) out.command = s(step.command)!;
  if (step.image !== undefined) out.image = s(step.image)!;
  if (step.entrypoint) out.entrypoint = step.entrypoint.map((x) => replaceAll(x, values));
  if (step.args) out.args = step.args.map((x) => replaceAll(x, values));
  if (step.readiness) {
    const r = { ...step.readiness };
    if (r.http) r.http = { ...r.http, url: replaceAll(r.http.url, values) };
    if (r.exec) r.exec = { command: replaceAll(r.exec.command, values) };
    if (r.log) r.log = { pattern: replaceAll(r.log.pattern, values) };
    out.readiness = r;
  }
  if (step.when?.condition) out.when = { ...step.when, condition: replaceAll(step.when.condition, quoted) };
  return out;
}
